// Process-level behaviour: Redis outages, health, SIGTERM drain, start-up
// errors, reflection.

#include <gtest/gtest.h>

#include <grpcpp/generic/generic_stub.h>

#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/integration/oauthd_process.h"

namespace oauthd::testing {
namespace {

using grpc::health::v1::HealthCheckResponse;

HealthCheckResponse::ServingStatus Health(OauthdProcess& p) {
  auto stub = grpc::health::v1::Health::NewStub(p.channel());
  grpc::health::v1::HealthCheckRequest r;
  HealthCheckResponse out;
  grpc::Status s = stub->Check(p.Context().get(), r, &out);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return out.status();
}

// Polls until `pred` holds or ~10 s pass.
template <typename F>
bool Eventually(F pred) {
  for (int i = 0; i < 100; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return pred();
}

TEST(Resilience, RedisOutageFailsFastAndRecovers) {
  auto p = OauthdProcess::Start({.flags = {"--client_cache_ttl=30s"}});
  ASSERT_TRUE(p.ok()) << p.status();
  OauthdProcess& oauthd = **p;
  oauth::admin::v1::Client c;
  c.add_grant_types("client_credentials");
  c.add_grant_types("password");
  auto client = oauthd.CreateClient(c);
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE(oauthd.CreateUser("alice", "wonderland").ok());
  EXPECT_EQ(Health(oauthd), HealthCheckResponse::SERVING);

  oauth::v1::IssueTokenRequest cc;
  *cc.mutable_client() = *client;
  cc.mutable_client_credentials();
  oauth::v1::TokenResponse out;
  ASSERT_TRUE(oauthd.tokens().IssueToken(oauthd.Context().get(), cc, &out).ok());

  ASSERT_TRUE(oauthd.redis().Stop().ok());
  EXPECT_TRUE(Eventually([&] { return Health(oauthd) == HealthCheckResponse::NOT_SERVING; }));

  // Needs Redis: fails fast with a retryable, typed error.
  oauth::v1::IssueTokenRequest pw;
  *pw.mutable_client() = *client;
  pw.mutable_password()->set_username("alice");
  pw.mutable_password()->set_password("wonderland");
  const absl::Time start = absl::Now();
  grpc::Status s = oauthd.tokens().IssueToken(oauthd.Context().get(), pw, &out);
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));  // bounded, not a hang
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(OAuthErrorOf(s).error(), "temporarily_unavailable");
  // Needs no Redis (cached client, self-contained JWT): keeps working.
  EXPECT_TRUE(oauthd.tokens().IssueToken(oauthd.Context().get(), cc, &out).ok());

  ASSERT_TRUE(oauthd.redis().Restart().ok());
  EXPECT_TRUE(Eventually([&] { return Health(oauthd) == HealthCheckResponse::SERVING; }));
  // Redis restarted empty (no persistence in tests): recreate the user.
  ASSERT_TRUE(oauthd.CreateUser("alice", "wonderland").ok());
  s = oauthd.tokens().IssueToken(oauthd.Context().get(), pw, &out);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_NE(oauthd.output().find("NOT_SERVING"), std::string::npos);
}

// client_credentials needs Redis only to read the client record. While Redis
// is unreachable a cached record is used past --client_cache_ttl, up to
// --client_cache_stale_if_error more; an id not cached as a known client
// gets the retryable error (it may have been created since), never
// invalid_client.
TEST(Resilience, ClientCredentialsOutlastTheClientCacheWhileRedisIsDown) {
  auto p = OauthdProcess::Start(
      {.flags = {"--client_cache_ttl=200ms", "--client_cache_stale_if_error=3s"}});
  ASSERT_TRUE(p.ok()) << p.status();
  OauthdProcess& oauthd = **p;
  oauth::admin::v1::Client c;
  c.add_grant_types("client_credentials");
  auto client = oauthd.CreateClient(c);
  ASSERT_TRUE(client.ok());
  oauth::v1::IssueTokenRequest cc;
  *cc.mutable_client() = *client;
  cc.mutable_client_credentials();
  oauth::v1::IssueTokenRequest stranger = cc;
  stranger.mutable_client()->set_client_id("not-a-client");
  oauth::v1::TokenResponse out;
  ASSERT_TRUE(oauthd.tokens().IssueToken(oauthd.Context().get(), cc, &out).ok());
  grpc::Status s = oauthd.tokens().IssueToken(oauthd.Context().get(), stranger, &out);
  EXPECT_EQ(OAuthErrorOf(s).error(), "invalid_client");

  ASSERT_TRUE(oauthd.redis().Stop().ok());
  const absl::Time stopped = absl::Now();
  // Well past the cache TTL, several times over: still issued.
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    out.Clear();
    s = oauthd.tokens().IssueToken(oauthd.Context(false, false).get(), cc, &out);
    EXPECT_TRUE(s.ok()) << i << ": " << s.error_message();
    EXPECT_FALSE(out.access_token().empty());
  }
  // Unknown, or cached as unknown: retryable, not a verdict.
  s = oauthd.tokens().IssueToken(oauthd.Context(false, false).get(), stranger, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(OAuthErrorOf(s).error(), "temporarily_unavailable");
  // Past TTL + stale bound (read 200 ms before the stop at the latest):
  // the record is no longer trusted.
  std::this_thread::sleep_for(absl::ToChronoMilliseconds(
      stopped + absl::Milliseconds(3300) - absl::Now()));
  s = oauthd.tokens().IssueToken(oauthd.Context(false, false).get(), cc, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_EQ(OAuthErrorOf(s).error(), "temporarily_unavailable");

  ASSERT_TRUE(oauthd.redis().Restart().ok());
  // Redis restarted empty: the client is gone, and that is now known.
  EXPECT_TRUE(Eventually([&] {
    grpc::Status again = oauthd.tokens().IssueToken(oauthd.Context().get(), cc, &out);
    return OAuthErrorOf(again).error() == "invalid_client";
  }));
}

// A refresh whose rotation was made but whose answer said UNAVAILABLE (the
// write reached the primary; its replica did not acknowledge it, as in a
// failover): the client retries the same refresh token. Within
// --refresh_retry_grace, while the lost successor was never used, the retry
// is answered instead of being taken for reuse (which revoked the grant: the
// failover test's invalid_grant); with the window off it is still reuse.
class LostRotationAnswer : public ::testing::TestWithParam<bool> {};

TEST_P(LostRotationAnswer, RetryOfTheSameRefreshToken) {
  const bool retry_window = GetParam();
  auto p = OauthdProcess::Start(
      {.flags = {"--redis_wait_replicas=1", "--redis_failover_wait=0s",
                 absl::StrCat("--refresh_retry_grace=", retry_window ? "10s" : "0s")}});
  ASSERT_TRUE(p.ok()) << p.status();
  OauthdProcess& oauthd = **p;
  test_support::RedisServerOptions replica_options;
  replica_options.extra_args = {"--enable-debug-command", "local"};
  auto replica = test_support::RedisServer::Start(replica_options);
  ASSERT_TRUE(replica.ok()) << replica.status();
  auto attach = [&] {
    ASSERT_TRUE((*replica)->Command({"REPLICAOF", "127.0.0.1",
                                     absl::StrCat(oauthd.redis().port())}).ok());
    ASSERT_TRUE(Eventually([&] {
      auto info = oauthd.redis().Command({"INFO", "replication"});
      return info.ok() && absl::StrContains(*info, "state=online");
    }));
  };
  attach();

  oauth::admin::v1::Client c;
  c.add_grant_types("password");
  c.add_grant_types("refresh_token");
  auto client = oauthd.CreateClient(c);
  ASSERT_TRUE(client.ok()) << client.status();
  ASSERT_TRUE(oauthd.CreateUser("alice", "wonderland").ok());
  oauth::v1::IssueTokenRequest pw;
  *pw.mutable_client() = *client;
  pw.mutable_password()->set_username("alice");
  pw.mutable_password()->set_password("wonderland");
  oauth::v1::TokenResponse issued;
  grpc::Status s = oauthd.tokens().IssueToken(oauthd.Context().get(), pw, &issued);
  ASSERT_TRUE(s.ok()) << s.error_message();
  auto refresh = [&](const std::string& token, oauth::v1::TokenResponse* out,
                     absl::Duration deadline = absl::Seconds(10)) {
    oauth::v1::RefreshTokenRequest r;
    *r.mutable_client() = *client;
    r.set_refresh_token(token);
    std::unique_ptr<grpc::ClientContext> context = oauthd.Context();
    context->set_deadline(absl::ToChronoTime(absl::Now() + deadline));
    return oauthd.tokens().RefreshToken(context.get(), r, out);
  };

  // The replica stalls past the request's deadline: the rotation is made on
  // the primary, WAIT never sees it acknowledged, the answer is UNAVAILABLE.
  std::thread stall([&] {
    auto slept = (*replica)->Command({"DEBUG", "SLEEP", "3"});
    EXPECT_TRUE(slept.ok()) << slept.status();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  oauth::v1::TokenResponse lost;
  s = refresh(issued.refresh_token(), &lost, absl::Seconds(1));
  stall.join();
  ASSERT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_EQ(OAuthErrorOf(s).error(), "temporarily_unavailable");

  // The replica has caught up; the client asks again with the same token.
  oauth::v1::TokenResponse retried;
  s = refresh(issued.refresh_token(), &retried);
  if (!retry_window) {
    EXPECT_EQ(OAuthErrorOf(s).error(), "invalid_grant") << s.error_message();
    return;
  }
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_FALSE(retried.refresh_token().empty());
  EXPECT_NE(retried.refresh_token(), issued.refresh_token());
  // Asked again: the same successor, not a second one.
  oauth::v1::TokenResponse again;
  s = refresh(issued.refresh_token(), &again);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(again.refresh_token(), retried.refresh_token());
  // The successor works, and from then on the old token is reuse: the
  // grant ends, the successor's successor with it.
  oauth::v1::TokenResponse next;
  s = refresh(retried.refresh_token(), &next);
  ASSERT_TRUE(s.ok()) << s.error_message();
  s = refresh(issued.refresh_token(), &again);
  EXPECT_EQ(OAuthErrorOf(s).error(), "invalid_grant") << s.error_message();
  s = refresh(next.refresh_token(), &again);
  EXPECT_EQ(OAuthErrorOf(s).error(), "invalid_grant") << s.error_message();
}

INSTANTIATE_TEST_SUITE_P(Window, LostRotationAnswer, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "On" : "Off"; });

TEST(Resilience, SigtermDrainsAndExitsZero) {
  auto p = OauthdProcess::Start();
  ASSERT_TRUE(p.ok()) << p.status();
  oauth::admin::v1::Client c;
  c.add_grant_types("password");
  auto client = (*p)->CreateClient(c);
  ASSERT_TRUE(client.ok());
  // Calls in flight while SIGTERM arrives still complete.
  std::vector<std::thread> callers;
  std::atomic<int> finished{0};
  for (int i = 0; i < 8; ++i) {
    callers.emplace_back([&] {
      oauth::v1::IssueTokenRequest pw;
      *pw.mutable_client() = *client;
      pw.mutable_password()->set_username("nobody");
      pw.mutable_password()->set_password("whatever");
      oauth::v1::TokenResponse out;
      grpc::Status s = (*p)->tokens().IssueToken((*p)->Context().get(), pw, &out);
      if (OAuthErrorOf(s).error() == "invalid_grant") ++finished;
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto exit = (*p)->Terminate();
  for (auto& t : callers) t.join();
  ASSERT_TRUE(exit.ok());
  EXPECT_TRUE(exit->Clean()) << exit->ToString() << (*p)->output();
  EXPECT_NE((*p)->output().find("stopped"), std::string::npos);
}

TEST(Resilience, MissingKeyStopsStartWithOneClearLine) {
  test_support::ChildProcessOptions o;
  o.argv = {OAUTHD_BINARY, "--store=memory", "--signing_keys=/nonexistent/key.pem",
            absl::StrCat("--listen=127.0.0.1:", *test_support::PickUnusedTcpPort()),
            absl::StrCat("--admin_listen=127.0.0.1:", *test_support::PickUnusedTcpPort())};
  auto child = test_support::ChildProcess::Start(o);
  ASSERT_TRUE(child.ok());
  auto exit = (*child)->Wait(absl::Seconds(10));
  ASSERT_TRUE(exit.ok());
  EXPECT_FALSE(exit->Clean());
  const std::string out = (*child)->ReadOutput();
  EXPECT_NE(out.find("/nonexistent/key.pem"), std::string::npos) << out;
  EXPECT_NE(out.find("oauthctl keys generate"), std::string::npos) << out;
  EXPECT_EQ(out.find("Aborted"), std::string::npos) << out;
}

// Every flag can come from OAUTHD_<FLAG>; here the whole configuration does,
// and oauthd listens on a unix socket.
TEST(Resilience, ConfiguredFromEnvironmentOnUnixSocket) {
  auto p = OauthdProcess::Start();  // for its key file only
  ASSERT_TRUE(p.ok()) << p.status();
  const std::string socket = test_support::TestTempDir() + "/oauthd-env.sock";
  test_support::ChildProcessOptions o;
  o.argv = {OAUTHD_BINARY};
  o.env = {{"OAUTHD_LISTEN", "unix:" + socket},
           {"OAUTHD_ADMIN_LISTEN", "unix:" + socket + ".admin"},
           {"OAUTHD_STORE", "memory"},
           {"OAUTHD_SIGNING_KEYS", (*p)->key_path()},
           {"OAUTHD_ISSUER", "https://env.test"}};
  auto child = test_support::ChildProcess::Start(o);
  ASSERT_TRUE(child.ok());
  auto channel = grpc::CreateChannel("unix:" + socket, grpc::InsecureChannelCredentials());
  auto stub = oauth::v1::TokenService::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_wait_for_ready(true);
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  oauth::v1::ServerMetadata metadata;
  grpc::Status s = stub->GetServerMetadata(&ctx, {}, &metadata);
  ASSERT_TRUE(s.ok()) << s.error_message() << (*child)->ReadOutput();
  EXPECT_EQ(metadata.issuer(), "https://env.test");
  auto exit = (*child)->Terminate(absl::Seconds(10));
  ASSERT_TRUE(exit.ok());
  EXPECT_TRUE(exit->Clean()) << exit->ToString();
}

// Reflection (off by default, Health listed when on): transport_security_test.cc.

}  // namespace
}  // namespace oauthd::testing
