// Taking access away, end to end over gRPC against real oauthd + redis-server:
// every admin action and RFC 7009 revocation reaches every token derived from
// what was revoked, and nothing else (docs/revocation.md). The memory-store
// twins of these cases are in tests/core/oauth_service_test.cc.

#include <gtest/gtest.h>

#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

#include "server/core/pkce.h"
#include "tests/integration/oauthd_process.h"

namespace oauthd::testing {
namespace {

using oauth::admin::v1::Client;
using oauth::v1::ClientAuthentication;
using oauth::v1::TokenResponse;

constexpr char kVerifier[] = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

class RevocationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto p = OauthdProcess::Start();
    ASSERT_TRUE(p.ok()) << p.status();
    oauthd_ = p->release();
  }
  static void TearDownTestSuite() {
    delete oauthd_;
    oauthd_ = nullptr;
  }

  // Each test gets its own users, so tests cannot see each other's effects.
  std::string User(const std::string& name) {
    const std::string username =
        name + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    EXPECT_TRUE(oauthd_->CreateUser(username, "password-1").ok());
    return username;
  }

  ClientAuthentication NewClient(std::vector<std::string> grants, const std::string& id = "",
                                 bool introspect_any = false) {
    Client c;
    c.set_client_id(id);
    for (auto& g : grants) c.add_grant_types(g);
    c.add_redirect_uris("https://app.test/cb");
    c.add_allowed_scopes("read");
    c.add_allowed_scopes("write");
    c.set_introspect_any_token(introspect_any);
    auto auth = oauthd_->CreateClient(c);
    EXPECT_TRUE(auth.ok()) << auth.status();
    return *auth;
  }

  TokenResponse Password(const ClientAuthentication& c, const std::string& user,
                         const std::string& scope = "read write",
                         const std::string& password = "password-1") {
    oauth::v1::IssueTokenRequest r;
    *r.mutable_client() = c;
    r.mutable_password()->set_username(user);
    r.mutable_password()->set_password(password);
    r.mutable_password()->set_scope(scope);
    TokenResponse out;
    grpc::Status s = oauthd_->tokens().IssueToken(oauthd_->Context().get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  TokenResponse ClientCredentials(const ClientAuthentication& c) {
    oauth::v1::IssueTokenRequest r;
    *r.mutable_client() = c;
    r.mutable_client_credentials();
    TokenResponse out;
    grpc::Status s = oauthd_->tokens().IssueToken(oauthd_->Context().get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  // The OAuth error of a refresh ("" on success, then `out` holds the tokens).
  std::string Refresh(const ClientAuthentication& c, const std::string& rt,
                      TokenResponse* out = nullptr, const std::string& scope = "") {
    oauth::v1::RefreshTokenRequest r;
    *r.mutable_client() = c;
    r.set_refresh_token(rt);
    r.set_scope(scope);
    TokenResponse ignored;
    grpc::Status s = oauthd_->tokens().RefreshToken(oauthd_->Context().get(), r,
                                                    out ? out : &ignored);
    return s.ok() ? "" : OAuthErrorOf(s).error();
  }

  bool Active(const ClientAuthentication& c, const std::string& token) {
    oauth::v1::IntrospectRequest r;
    *r.mutable_client() = c;
    r.set_token(token);
    oauth::v1::IntrospectResponse out;
    grpc::Status s = oauthd_->tokens().Introspect(oauthd_->Context().get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out.active();
  }

  grpc::Status Admin(const std::function<grpc::Status(grpc::ClientContext*)>& call) {
    return call(oauthd_->Context(/*admin=*/true).get());
  }

  grpc::Status SetDisabled(const std::string& user, bool disabled) {
    oauth::admin::v1::SetUserDisabledRequest r;
    r.set_username(user);
    r.set_disabled(disabled);
    oauth::admin::v1::User out;
    return Admin([&](grpc::ClientContext* ctx) {
      return oauthd_->admin().SetUserDisabled(ctx, r, &out);
    });
  }

  // Revocation covers the millisecond it happened in; a new login right
  // after it must come later.
  static void NextMillisecond() { std::this_thread::sleep_for(std::chrono::milliseconds(5)); }

  static OauthdProcess* oauthd_;
};

OauthdProcess* RevocationTest::oauthd_ = nullptr;

TEST_F(RevocationTest, DisabledUserLosesRefreshAndAccessTokensOthersKeepTheirs) {
  const std::string u = User("u"), other = User("other");
  auto client = NewClient({"password", "refresh_token", "client_credentials"});
  TokenResponse mine = Password(client, u), theirs = Password(client, other);
  TokenResponse service = ClientCredentials(client);
  ASSERT_TRUE(SetDisabled(u, true).ok());
  EXPECT_EQ(Refresh(client, mine.refresh_token()), "invalid_grant");
  EXPECT_FALSE(Active(client, mine.access_token()));
  EXPECT_TRUE(Active(client, theirs.access_token()));
  EXPECT_TRUE(Active(client, service.access_token()));
  EXPECT_EQ(Refresh(client, theirs.refresh_token()), "");

  ASSERT_TRUE(SetDisabled(u, false).ok());
  EXPECT_FALSE(Active(client, mine.access_token()));
  NextMillisecond();
  TokenResponse again = Password(client, u);
  EXPECT_TRUE(Active(client, again.access_token()));
  EXPECT_EQ(Refresh(client, again.refresh_token()), "");
}

TEST_F(RevocationTest, CodeApprovedBeforeDisableIsRefused) {
  const std::string u = User("u");
  auto client = NewClient({"authorization_code", "refresh_token"});
  oauth::v1::AuthorizeRequest a;
  a.set_client_id(client.client_id());
  a.set_response_type("code");
  a.set_redirect_uri("https://app.test/cb");
  a.set_scope("read");
  a.set_code_challenge(PkceS256(kVerifier));
  a.set_code_challenge_method("S256");
  a.mutable_login()->set_username(u);
  a.mutable_login()->set_password("password-1");
  oauth::v1::AuthorizeResponse code;
  ASSERT_TRUE(oauthd_->tokens().Authorize(oauthd_->Context().get(), a, &code).ok());
  ASSERT_TRUE(SetDisabled(u, true).ok());
  ASSERT_TRUE(SetDisabled(u, false).ok());
  oauth::v1::IssueTokenRequest r;
  *r.mutable_client() = client;
  r.mutable_authorization_code()->set_code(code.code());
  r.mutable_authorization_code()->set_redirect_uri("https://app.test/cb");
  r.mutable_authorization_code()->set_code_verifier(kVerifier);
  TokenResponse out;
  grpc::Status s = oauthd_->tokens().IssueToken(oauthd_->Context().get(), r, &out);
  EXPECT_EQ(OAuthErrorOf(s).error(), "invalid_grant");
}

// RFC 7009 §2.1, and reuse detection: the whole grant goes.
TEST_F(RevocationTest, RevokedOrReusedRefreshTokenTakesTheGrantsAccessTokens) {
  const std::string u = User("u");
  auto client = NewClient({"password", "refresh_token"});
  TokenResponse at1 = Password(client, u), at2;
  ASSERT_EQ(Refresh(client, at1.refresh_token(), &at2), "");
  TokenResponse other_grant = Password(client, u);
  oauth::v1::RevokeRequest r;
  *r.mutable_client() = client;
  r.set_token(at2.refresh_token());
  oauth::v1::RevokeResponse ignored;
  ASSERT_TRUE(oauthd_->tokens().Revoke(oauthd_->Context().get(), r, &ignored).ok());
  EXPECT_FALSE(Active(client, at1.access_token()));
  EXPECT_FALSE(Active(client, at2.access_token()));
  EXPECT_TRUE(Active(client, other_grant.access_token()));

  TokenResponse next, after;
  ASSERT_EQ(Refresh(client, other_grant.refresh_token(), &next), "");
  ASSERT_EQ(Refresh(client, next.refresh_token(), &after), "");
  // Its successor used, the first token again is reuse (not a retry).
  EXPECT_EQ(Refresh(client, other_grant.refresh_token()), "invalid_grant");
  EXPECT_FALSE(Active(client, next.access_token()));
  EXPECT_FALSE(Active(client, after.access_token()));
}

TEST_F(RevocationTest, DeletedClientsTokensDieAndItsNamesakeStartsEmpty) {
  const std::string u = User("u");
  const std::string id = "app-" + u;
  auto app = NewClient({"password", "refresh_token", "client_credentials"}, id);
  auto bystander = NewClient({"client_credentials"});
  TokenResponse user_tokens = Password(app, u);
  TokenResponse service = ClientCredentials(app);
  TokenResponse bystanders = ClientCredentials(bystander);
  oauth::admin::v1::DeleteClientRequest d;
  d.set_client_id(id);
  oauth::admin::v1::DeleteClientResponse deleted;
  ASSERT_TRUE(Admin([&](grpc::ClientContext* ctx) {
                return oauthd_->admin().DeleteClient(ctx, d, &deleted);
              }).ok());
  NextMillisecond();
  auto again = NewClient({"password", "refresh_token", "client_credentials"}, id);
  EXPECT_EQ(Refresh(again, user_tokens.refresh_token()), "invalid_grant");
  EXPECT_FALSE(Active(again, user_tokens.access_token()));
  EXPECT_FALSE(Active(again, service.access_token()));
  EXPECT_TRUE(Active(bystander, bystanders.access_token()));
  EXPECT_TRUE(Active(again, ClientCredentials(again).access_token()));
}

TEST_F(RevocationTest, RefreshKeepsTheGrantScopeAndFollowsTheClientsScopes) {
  const std::string u = User("u");
  auto client = NewClient({"password", "refresh_token"});
  TokenResponse first = Password(client, u, "read write"), narrow, full;
  ASSERT_EQ(Refresh(client, first.refresh_token(), &narrow, "read"), "");
  EXPECT_EQ(narrow.scope(), "read");
  ASSERT_EQ(Refresh(client, narrow.refresh_token(), &full), "");
  EXPECT_EQ(full.scope(), "read write");

  oauth::admin::v1::UpdateClientRequest update;
  update.mutable_client()->set_client_id(client.client_id());
  update.mutable_client()->add_allowed_scopes("read");
  update.mutable_update_mask()->add_paths("allowed_scopes");
  oauth::admin::v1::Client updated;
  ASSERT_TRUE(Admin([&](grpc::ClientContext* ctx) {
                return oauthd_->admin().UpdateClient(ctx, update, &updated);
              }).ok());
  TokenResponse cut;
  ASSERT_EQ(Refresh(client, full.refresh_token(), &cut), "");
  EXPECT_EQ(cut.scope(), "read");
}

TEST_F(RevocationTest, IntrospectionOnlyForTheEntitled) {
  const std::string u = User("u");
  auto client = NewClient({"password"});
  auto stranger = NewClient({"client_credentials"});
  auto auditor = NewClient({"client_credentials"}, "", /*introspect_any=*/true);
  TokenResponse t = Password(client, u);
  EXPECT_TRUE(Active(client, t.access_token()));
  EXPECT_FALSE(Active(stranger, t.access_token()));
  EXPECT_TRUE(Active(auditor, t.access_token()));
}

TEST_F(RevocationTest, AdminListsGrantsAndSignsAUserOutEverywhere) {
  const std::string u = User("u"), other = User("other");
  auto client = NewClient({"password", "refresh_token"});
  TokenResponse laptop = Password(client, u), phone = Password(client, u, "read");
  TokenResponse theirs = Password(client, other);
  oauth::admin::v1::ListUserGrantsRequest list;
  list.set_username(u);
  oauth::admin::v1::ListUserGrantsResponse grants;
  ASSERT_TRUE(Admin([&](grpc::ClientContext* ctx) {
                return oauthd_->admin().ListUserGrants(ctx, list, &grants);
              }).ok());
  ASSERT_EQ(grants.grants_size(), 2);
  EXPECT_EQ(grants.grants(0).client_id(), client.client_id());

  oauth::admin::v1::RevokeUserGrantsRequest everywhere;
  everywhere.set_username(u);
  oauth::admin::v1::RevokeGrantsResponse done;
  ASSERT_TRUE(Admin([&](grpc::ClientContext* ctx) {
                return oauthd_->admin().RevokeUserGrants(ctx, everywhere, &done);
              }).ok());
  EXPECT_FALSE(Active(client, laptop.access_token()));
  EXPECT_FALSE(Active(client, phone.access_token()));
  EXPECT_TRUE(Active(client, theirs.access_token()));
  ASSERT_TRUE(Admin([&](grpc::ClientContext* ctx) {
                return oauthd_->admin().ListUserGrants(ctx, list, &grants);
              }).ok());
  EXPECT_EQ(grants.grants_size(), 0);
}

TEST_F(RevocationTest, RevocationsSurviveARestart) {
  const std::string u = User("u");
  auto client = NewClient({"password", "refresh_token"});
  TokenResponse t = Password(client, u);
  ASSERT_TRUE(SetDisabled(u, true).ok());
  ASSERT_TRUE(oauthd_->Restart().ok()) << oauthd_->output();
  EXPECT_FALSE(Active(client, t.access_token()));
  EXPECT_EQ(Refresh(client, t.refresh_token()), "invalid_grant");
}

// Calls of `command` Redis has served so far (INFO commandstats; commands a
// Lua script runs count under their own names).
int64_t RedisCalls(test_support::RedisServer& redis, const std::string& command) {
  absl::StatusOr<std::string> info = redis.Command({"INFO", "commandstats"});
  EXPECT_TRUE(info.ok()) << info.status();
  if (!info.ok()) return -1;
  const std::string prefix = absl::StrCat("cmdstat_", command, ":calls=");
  for (absl::string_view line : absl::StrSplit(*info, '\n')) {
    if (!absl::ConsumePrefix(&line, prefix)) continue;
    int64_t calls = 0;
    EXPECT_TRUE(absl::SimpleAtoi(line.substr(0, line.find(',')), &calls)) << line;
    return calls;
  }
  return 0;
}

// With the revocation view (on by default with Redis), the owners'
// not-before instants come from memory: a rotation is one script call, with
// no GET of the user's or client's instants beside it (issue 12's target).
TEST_F(RevocationTest, RotationIsOneRedisRoundTrip) {
  const std::string u = User("u");
  auto client = NewClient({"password", "refresh_token"});
  TokenResponse t = Password(client, u), next;
  ASSERT_EQ(Refresh(client, t.refresh_token(), &next), "");  // the client is cached now
  test_support::RedisServer& redis = oauthd_->redis();
  const int64_t evalsha = RedisCalls(redis, "evalsha"), get = RedisCalls(redis, "get"),
                mget = RedisCalls(redis, "mget");
  ASSERT_EQ(Refresh(client, next.refresh_token(), &next), "");
  EXPECT_EQ(RedisCalls(redis, "evalsha") - evalsha, 1);
  EXPECT_EQ(RedisCalls(redis, "get") - get, 0);
  EXPECT_EQ(RedisCalls(redis, "mget") - mget, 0);
}

// The other side of reading owners from the view: a user disabled through
// one replica can refresh on another only until that replica's view hears of
// it, which must take well under a second; every token obtained in between
// dies with the grant.
TEST(RevocationReplicaTest, UserDisabledOnOneReplicaStopsRefreshOnAnotherWithinASecond) {
  auto a = OauthdProcess::Start();
  ASSERT_TRUE(a.ok()) << a.status();
  auto b = OauthdProcess::StartReplica(**a);
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_TRUE((*a)->CreateUser("replica-user", "password-1").ok());
  Client c;
  c.add_grant_types("password");
  c.add_grant_types("refresh_token");
  c.add_allowed_scopes("read");
  auto client = (*a)->CreateClient(c);
  ASSERT_TRUE(client.ok()) << client.status();

  oauth::v1::IssueTokenRequest login;
  *login.mutable_client() = *client;
  login.mutable_password()->set_username("replica-user");
  login.mutable_password()->set_password("password-1");
  TokenResponse tokens;
  ASSERT_TRUE((*a)->tokens().IssueToken((*a)->Context().get(), login, &tokens).ok());

  oauth::admin::v1::SetUserDisabledRequest disable;
  disable.set_username("replica-user");
  disable.set_disabled(true);
  oauth::admin::v1::User user;
  ASSERT_TRUE((*a)->admin().SetUserDisabled((*a)->Context(true).get(), disable, &user).ok());
  const absl::Time disabled = absl::Now();

  std::vector<std::string> obtained;  // access tokens issued by b in between
  std::string refresh_token = tokens.refresh_token();
  grpc::Status s;
  while (absl::Now() - disabled < absl::Seconds(5)) {
    oauth::v1::RefreshTokenRequest r;
    *r.mutable_client() = *client;
    r.set_refresh_token(refresh_token);
    TokenResponse out;
    s = (*b)->tokens().RefreshToken((*b)->Context().get(), r, &out);
    if (!s.ok()) break;
    refresh_token = out.refresh_token();
    obtained.push_back(out.access_token());
  }
  const absl::Duration until_refused = absl::Now() - disabled;
  std::printf("refresh on the other replica refused %.2f ms after the disable returned "
              "(%zu rotations in between)\n",
              absl::ToDoubleMilliseconds(until_refused), obtained.size());
  EXPECT_EQ(OAuthErrorOf(s).error(), "invalid_grant");
  EXPECT_LT(until_refused, absl::Seconds(1));
  for (const std::string& token : obtained) {
    oauth::v1::IntrospectRequest r;
    *r.mutable_client() = *client;
    r.set_token(token);
    oauth::v1::IntrospectResponse out;
    ASSERT_TRUE((*b)->tokens().Introspect((*b)->Context().get(), r, &out).ok());
    EXPECT_FALSE(out.active());
  }
}

}  // namespace
}  // namespace oauthd::testing
