// TokenSource: caching, renewal ahead of expiry with jitter, single-flight,
// failures and clock behaviour, all on a fake clock and a fake server.

#include "client/lib/token_source.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/client/test_util.h"

namespace oauthd::client {
namespace {

using ::testing::ElementsAre;
using testing::FakeAuthorizationServer;
using testing::FakeClock;

// Waits (bounded, so a broken implementation fails instead of hanging) until
// `done` holds.
template <typename Predicate>
bool WaitUntil(Predicate done) {
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

class TokenSourceTest : public ::testing::Test {
 protected:
  TokenSourceTest() : server_(std::make_shared<FakeAuthorizationServer>()) {
    // Each response is a new token "token-N" living `lifetime_` seconds.
    server_->issue = [this](const oauth::v1::IssueTokenRequest&) {
      oauth::v1::TokenResponse response;
      response.set_access_token(absl::StrCat("token-", ++issued_));
      response.set_token_type("Bearer");
      response.set_expires_in(lifetime_);
      response.set_scope("read");
      return absl::StatusOr<oauth::v1::TokenResponse>(response);
    };
    options_.client_id = "svc";
    options_.client_secret = "secret";
    options_.scope = "read";
    options_.clock = clock_.AsClock();
    options_.random = [] { return 0.5; };
  }

  std::shared_ptr<TokenSource> Source() {
    absl::StatusOr<std::shared_ptr<TokenSource>> source =
        TokenSource::Create(server_, options_);
    EXPECT_TRUE(source.ok()) << source.status();
    return *source;
  }

  std::string Get(TokenSource& source) {
    absl::StatusOr<Token> token = source.GetToken();
    EXPECT_TRUE(token.ok()) << token.status();
    return token.ok() ? token->access_token : "";
  }

  FakeClock clock_;
  std::shared_ptr<FakeAuthorizationServer> server_;
  TokenSourceOptions options_;
  std::atomic<int> issued_{0};
  int64_t lifetime_ = 600;
};

TEST_F(TokenSourceTest, CreateValidatesOptions) {
  options_.client_id = "";
  EXPECT_TRUE(absl::IsInvalidArgument(TokenSource::Create(server_, options_).status()));
  options_.client_id = "svc";
  options_.renew_before = absl::Seconds(-1);
  EXPECT_TRUE(absl::IsInvalidArgument(TokenSource::Create(server_, options_).status()));
  options_.renew_before = absl::Minutes(1);
  EXPECT_TRUE(absl::IsInvalidArgument(TokenSource::Create(nullptr, options_).status()));
  // Text that is not UTF-8 could not be sent as it is (proto3 strings).
  for (std::string* text : {&options_.client_id, &options_.client_secret, &options_.scope}) {
    const std::string kept = *text;
    *text = "caf\xe9";
    absl::Status status = TokenSource::Create(server_, options_).status();
    EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
    EXPECT_NE(status.message().find("is not valid UTF-8"), absl::string_view::npos) << status;
    *text = kept;
  }
  options_.resources = {"https://api.example/", "\xff"};
  EXPECT_TRUE(absl::IsInvalidArgument(TokenSource::Create(server_, options_).status()));
  options_.resources.clear();
  EXPECT_TRUE(TokenSource::Create(server_, options_).ok());
  EXPECT_EQ(server_->issue_calls, 0);  // Create does not call the server.
}

TEST_F(TokenSourceTest, SendsClientCredentialsRequest) {
  options_.resources = {"inventory", "billing"};
  oauth::v1::IssueTokenRequest seen;
  auto issue = server_->issue;
  server_->issue = [&](const oauth::v1::IssueTokenRequest& request) {
    seen = request;
    return issue(request);
  };
  auto source = Source();
  Get(*source);
  EXPECT_EQ(seen.client().client_id(), "svc");
  EXPECT_EQ(seen.client().client_secret(), "secret");
  ASSERT_TRUE(seen.has_client_credentials());
  EXPECT_EQ(seen.client_credentials().scope(), "read");
  EXPECT_THAT(seen.resource(), ElementsAre("inventory", "billing"));
}

TEST_F(TokenSourceTest, CachesUntilRenewalIsDue) {
  auto source = Source();
  const absl::Time start = clock_.Now();
  absl::StatusOr<Token> first = source->GetToken();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->access_token, "token-1");
  EXPECT_EQ(first->token_type, "Bearer");
  EXPECT_EQ(first->scope, "read");
  EXPECT_EQ(first->obtained_at, start);
  EXPECT_EQ(first->expiry, start + absl::Seconds(600));
  // renew_before 60 s plus jitter 0.5 * 30 s.
  EXPECT_EQ(first->renew_at, start + absl::Seconds(600 - 60 - 15));

  for (int i = 0; i < 10; ++i) EXPECT_EQ(Get(*source), "token-1");
  clock_.Advance(absl::Seconds(524));
  EXPECT_EQ(Get(*source), "token-1");
  EXPECT_EQ(server_->issue_calls, 1);

  clock_.Advance(absl::Seconds(1));  // renew_at reached
  EXPECT_EQ(Get(*source), "token-2");
  EXPECT_EQ(server_->issue_calls, 2);
  EXPECT_EQ(source->stats().fetches, 2);
}

TEST_F(TokenSourceTest, JitterSpreadsRenewalWithinBounds) {
  const absl::Time start = clock_.Now();
  for (double r : {0.0, 0.25, 0.999}) {
    options_.random = [r] { return r; };
    auto source = Source();
    absl::StatusOr<Token> token = source->GetToken();
    ASSERT_TRUE(token.ok());
    EXPECT_EQ(token->renew_at, start + absl::Seconds(540) - absl::Seconds(30) * r) << r;
    EXPECT_GE(token->renew_at, start + absl::Seconds(510));
    EXPECT_LE(token->renew_at, start + absl::Seconds(540));
  }
  // The default generator stays within the same bounds.
  options_.random = nullptr;
  for (int i = 0; i < 20; ++i) {
    auto source = Source();
    absl::StatusOr<Token> token = source->GetToken();
    ASSERT_TRUE(token.ok());
    EXPECT_GT(token->renew_at, start + absl::Seconds(510));
    EXPECT_LE(token->renew_at, start + absl::Seconds(540));
  }
}

TEST_F(TokenSourceTest, ShortLivedTokensRenewAtHalfLifeAtLatest) {
  lifetime_ = 20;
  auto source = Source();
  absl::StatusOr<Token> token = source->GetToken();
  ASSERT_TRUE(token.ok());
  // lead = min(60 s, 10 s), jitter = 0.5 * min(30 s, 5 s).
  EXPECT_EQ(token->renew_at, clock_.Now() + absl::Seconds(20 - 10) - absl::Seconds(2.5));
}

TEST_F(TokenSourceTest, MissingExpiresInUsesDefaultLifetime) {
  lifetime_ = 0;
  options_.default_lifetime = absl::Seconds(90);
  auto source = Source();
  absl::StatusOr<Token> token = source->GetToken();
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(token->expiry, clock_.Now() + absl::Seconds(90));
}

// RFC 6749 §A.12: access_token = 1*VSCHAR. A token with a control byte
// could not be sent as a header or gRPC metadata (gRPC logs the bytes of
// metadata it refuses), so it is an error, not a token.
TEST_F(TokenSourceTest, AnAccessTokenThatIsNotPrintableAsciiIsAnError) {
  auto issue = server_->issue;
  server_->issue = [&](const oauth::v1::IssueTokenRequest& request) {
    auto response = issue(request);
    if (response.ok()) response->set_access_token("abc\ndef");
    return response;
  };
  auto source = Source();
  absl::StatusOr<Token> token = source->GetToken();
  ASSERT_FALSE(token.ok());
  EXPECT_NE(token.status().message().find("not printable ASCII"), absl::string_view::npos)
      << token.status();
  EXPECT_EQ(token.status().message().find("abc"), absl::string_view::npos);
}

TEST_F(TokenSourceTest, HundredConcurrentCallersCauseOneCall) {
  absl::Notification release;
  auto issue = server_->issue;
  server_->issue = [&](const oauth::v1::IssueTokenRequest& request) {
    release.WaitForNotification();
    return issue(request);
  };
  auto source = Source();
  constexpr int kThreads = 100;
  std::vector<std::string> got(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] { got[i] = Get(*source); });
  }
  // Hold the single call until every other caller is waiting for it.
  EXPECT_TRUE(WaitUntil([&] { return source->stats().waits == kThreads - 1; }))
      << "waits: " << source->stats().waits;
  release.Notify();
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(server_->issue_calls, 1);
  for (const std::string& token : got) EXPECT_EQ(token, "token-1");
  EXPECT_EQ(source->stats().fetches, 1);
  EXPECT_EQ(source->stats().waits, kThreads - 1);
}

TEST_F(TokenSourceTest, RenewalDoesNotBlockOtherCallers) {
  auto source = Source();
  EXPECT_EQ(Get(*source), "token-1");
  clock_.Advance(absl::Seconds(550));  // renewal due, token still usable

  absl::Notification in_call, release;
  auto issue = server_->issue;
  server_->issue = [&](const oauth::v1::IssueTokenRequest& request) {
    in_call.Notify();
    release.WaitForNotification();
    return issue(request);
  };
  std::string renewed;
  std::thread renewer([&] { renewed = Get(*source); });
  in_call.WaitForNotification();
  // While that call is in flight, others get the current token at once.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Get(*source), "token-1");
  release.Notify();
  renewer.join();
  EXPECT_EQ(renewed, "token-2");
  EXPECT_EQ(Get(*source), "token-2");
  EXPECT_EQ(server_->issue_calls, 2);
}

TEST_F(TokenSourceTest, FailureIsSharedAndNotRetriedAtOnce) {
  server_->issue = [](const oauth::v1::IssueTokenRequest&) {
    return absl::StatusOr<oauth::v1::TokenResponse>(
        absl::UnauthenticatedError("invalid_client: bad secret"));
  };
  auto source = Source();
  absl::StatusOr<Token> token = source->GetToken();
  EXPECT_TRUE(absl::IsUnauthenticated(token.status())) << token.status();
  // Within retry_after_failure: the same error, no new call.
  token = source->GetToken();
  EXPECT_TRUE(absl::IsUnauthenticated(token.status()));
  EXPECT_EQ(server_->issue_calls, 1);
  clock_.Advance(absl::Seconds(1));
  token = source->GetToken();
  EXPECT_FALSE(token.ok());
  EXPECT_EQ(server_->issue_calls, 2);
  EXPECT_EQ(source->stats().fetch_failures, 2);
}

TEST_F(TokenSourceTest, FailedRenewalKeepsServingTheOldTokenUntilItExpires) {
  auto source = Source();
  EXPECT_EQ(Get(*source), "token-1");
  server_->issue = [](const oauth::v1::IssueTokenRequest&) {
    return absl::StatusOr<oauth::v1::TokenResponse>(absl::UnavailableError("down"));
  };
  clock_.Advance(absl::Seconds(560));
  EXPECT_EQ(Get(*source), "token-1");  // renewal failed: old token
  EXPECT_EQ(Get(*source), "token-1");  // no retry within a second
  EXPECT_EQ(server_->issue_calls, 2);
  clock_.Advance(absl::Seconds(2));
  EXPECT_EQ(Get(*source), "token-1");
  EXPECT_EQ(server_->issue_calls, 3);
  // 5 s (min_remaining) before expiry the old token is no longer handed out.
  clock_.Set(clock_.Now() + absl::Seconds(600 - 562 - 5));
  absl::StatusOr<Token> token = source->GetToken();
  EXPECT_TRUE(absl::IsUnavailable(token.status())) << token.status();
}

TEST_F(TokenSourceTest, InvalidateForcesANewToken) {
  auto source = Source();
  EXPECT_EQ(Get(*source), "token-1");
  source->Invalidate("some-other-token");
  EXPECT_EQ(Get(*source), "token-1");
  source->Invalidate("token-1");
  EXPECT_EQ(Get(*source), "token-2");
}

// Expiry is computed from expires_in on our own clock: the server's clock
// (and the JWT's exp) never enter, so skew between the two is harmless.
TEST_F(TokenSourceTest, ServerClockSkewDoesNotMatter) {
  auto issue = server_->issue;
  server_->issue = [&](const oauth::v1::IssueTokenRequest& request) {
    absl::StatusOr<oauth::v1::TokenResponse> response = issue(request);
    // A token minted by a server whose clock is two hours behind.
    response->set_access_token(absl::StrCat(response->access_token(), "-exp-",
                                            absl::ToUnixSeconds(clock_.Now() - absl::Hours(2))));
    return response;
  };
  auto source = Source();
  const std::string first = Get(*source);
  clock_.Advance(absl::Minutes(5));
  EXPECT_EQ(Get(*source), first);
  EXPECT_EQ(server_->issue_calls, 1);
}

// Our clock jumping (suspend/resume, NTP step) is handled: forward past
// expiry fetches a new token; backward keeps the cached one without a storm.
TEST_F(TokenSourceTest, LocalClockJumps) {
  auto source = Source();
  EXPECT_EQ(Get(*source), "token-1");
  clock_.Advance(-absl::Hours(1));
  EXPECT_EQ(Get(*source), "token-1");
  EXPECT_EQ(server_->issue_calls, 1);
  clock_.Advance(absl::Hours(3));
  EXPECT_EQ(Get(*source), "token-2");
  EXPECT_EQ(Get(*source), "token-2");
  EXPECT_EQ(server_->issue_calls, 2);
}

TEST_F(TokenSourceTest, ThreadsHammeringAcrossRenewalsStayConsistent) {
  auto source = Source();
  std::atomic<bool> stop{false};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      while (!stop) {
        if (!source->GetToken().ok()) ++errors;
      }
    });
  }
  for (int i = 0; i < 20; ++i) {
    clock_.Advance(absl::Seconds(100));
    absl::SleepFor(absl::Milliseconds(2));
  }
  stop = true;
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(errors, 0);
  // 2000 s of 600 s tokens renewed ~75 s early: a handful of calls, not one
  // per GetToken.
  EXPECT_LE(server_->issue_calls, 21);
}

}  // namespace
}  // namespace oauthd::client
