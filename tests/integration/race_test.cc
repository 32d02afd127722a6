// Concurrency against real Redis through real oauthd: single-use codes and
// refresh rotation under 50 simultaneous callers.

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "absl/synchronization/barrier.h"
#include "absl/synchronization/mutex.h"
#include "server/core/pkce.h"
#include "tests/integration/oauthd_process.h"

namespace oauthd::testing {
namespace {

constexpr int kCallers = 50;
constexpr char kVerifier[] = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

class RaceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Strict reuse detection (no retry window): concurrent presentations of
    // one token are reuse unless the client has a grace window. The default
    // window is RetryWindowLetsConcurrentRefreshesShareOneSuccessor's.
    auto p = OauthdProcess::Start({.flags = {"--worker_threads=32", "--refresh_retry_grace=0s"}});
    ASSERT_TRUE(p.ok()) << p.status();
    oauthd_ = p->release();
    ASSERT_TRUE(oauthd_->CreateUser("alice", "wonderland").ok());
  }
  static void TearDownTestSuite() { delete oauthd_; }

  oauth::v1::ClientAuthentication NewClient(int grace) {
    oauth::admin::v1::Client c;
    c.add_grant_types("authorization_code");
    c.add_grant_types("password");
    c.add_grant_types("refresh_token");
    c.add_redirect_uris("https://app.test/cb");
    c.add_allowed_scopes("read");
    c.set_refresh_grace_seconds(grace);
    auto auth = oauthd_->CreateClient(c);
    EXPECT_TRUE(auth.ok());
    return *auth;
  }

  // Runs `call` on kCallers threads released at once.
  template <typename F>
  void RunTogether(F call) {
    absl::Barrier* barrier = new absl::Barrier(kCallers);
    std::vector<std::thread> threads;
    for (int i = 0; i < kCallers; ++i) {
      threads.emplace_back([&, barrier, i] {
        if (barrier->Block()) delete barrier;
        call(i);
      });
    }
    for (auto& t : threads) t.join();
  }

  static OauthdProcess* oauthd_;
};

OauthdProcess* RaceTest::oauthd_ = nullptr;

TEST_F(RaceTest, FiftyConcurrentRedemptionsOneWinnerTwentyTimes) {
  auto client = NewClient(0);
  for (int round = 0; round < 20; ++round) {
    oauth::v1::AuthorizeRequest a;
    a.set_client_id(client.client_id());
    a.set_response_type("code");
    a.set_redirect_uri("https://app.test/cb");
    a.set_code_challenge(PkceS256(kVerifier));
    a.set_code_challenge_method("S256");
    a.mutable_login()->set_username("alice");
    a.mutable_login()->set_password("wonderland");
    oauth::v1::AuthorizeResponse authorized;
    ASSERT_TRUE(oauthd_->tokens().Authorize(oauthd_->Context().get(), a, &authorized).ok());
    oauth::v1::IssueTokenRequest r;
    *r.mutable_client() = client;
    r.mutable_authorization_code()->set_code(authorized.code());
    r.mutable_authorization_code()->set_redirect_uri("https://app.test/cb");
    r.mutable_authorization_code()->set_code_verifier(kVerifier);
    std::atomic<int> ok{0}, invalid_grant{0}, other{0};
    oauth::v1::TokenResponse winner;
    RunTogether([&](int) {
      oauth::v1::TokenResponse out;
      grpc::Status s = oauthd_->tokens().IssueToken(oauthd_->Context().get(), r, &out);
      if (s.ok()) {
        ++ok;
        winner = out;
      }
      else if (OAuthErrorOf(s).error() == "invalid_grant") ++invalid_grant;
      else {
        ++other;
        ADD_FAILURE() << "unexpected: " << OAuthErrorOf(s).error() << " " << s.error_message();
      }
    });
    // Exactly one call redeems the code (the store's race is tested in
    // tests/storage). The 49 others are replays that revoke its grant
    // (RFC 6749 §4.1.2): when a replay lands before the winner has written the
    // grant, the winner answers invalid_grant too; otherwise it gets tokens
    // that are already revoked.
    EXPECT_LE(ok.load(), 1) << "round " << round;
    EXPECT_EQ(ok.load() + invalid_grant.load(), kCallers) << "round " << round;
    EXPECT_EQ(other.load(), 0) << "round " << round;
    if (ok.load() == 0) continue;
    oauth::v1::IntrospectRequest i;
    *i.mutable_client() = client;
    i.set_token(winner.access_token());
    oauth::v1::IntrospectResponse info;
    ASSERT_TRUE(oauthd_->tokens().Introspect(oauthd_->Context().get(), i, &info).ok());
    EXPECT_FALSE(info.active()) << "round " << round;
  }
}

oauth::v1::TokenResponse PasswordTokens(OauthdProcess* p,
                                        const oauth::v1::ClientAuthentication& client) {
  oauth::v1::IssueTokenRequest r;
  *r.mutable_client() = client;
  r.mutable_password()->set_username("alice");
  r.mutable_password()->set_password("wonderland");
  oauth::v1::TokenResponse out;
  EXPECT_TRUE(p->tokens().IssueToken(p->Context().get(), r, &out).ok());
  return out;
}

TEST_F(RaceTest, FiftyConcurrentRefreshesOneSuccessor) {
  auto client = NewClient(0);
  const std::string rt = PasswordTokens(oauthd_, client).refresh_token();
  oauth::v1::RefreshTokenRequest r;
  *r.mutable_client() = client;
  r.set_refresh_token(rt);
  absl::Mutex mu;
  std::vector<std::string> successors;
  std::atomic<int> invalid_grant{0};
  RunTogether([&](int) {
    oauth::v1::TokenResponse out;
    grpc::Status s = oauthd_->tokens().RefreshToken(oauthd_->Context().get(), r, &out);
    if (s.ok()) {
      absl::MutexLock lock(&mu);
      successors.push_back(out.refresh_token());
    } else if (OAuthErrorOf(s).error() == "invalid_grant") {
      ++invalid_grant;
    }
  });
  ASSERT_EQ(successors.size(), 1u);
  EXPECT_EQ(invalid_grant.load(), kCallers - 1);
  // The 49 losers were reuse: the family is revoked, so the winner's
  // successor is dead too.
  oauth::v1::RefreshTokenRequest next = r;
  next.set_refresh_token(successors[0]);
  oauth::v1::TokenResponse out;
  grpc::Status s = oauthd_->tokens().RefreshToken(oauthd_->Context().get(), next, &out);
  EXPECT_EQ(OAuthErrorOf(s).error(), "invalid_grant");
}

TEST_F(RaceTest, FiftyConcurrentRefreshesInGraceShareOneSuccessor) {
  auto client = NewClient(2);  // grace window in seconds
  const std::string rt = PasswordTokens(oauthd_, client).refresh_token();
  oauth::v1::RefreshTokenRequest r;
  *r.mutable_client() = client;
  r.set_refresh_token(rt);
  absl::Mutex mu;
  std::set<std::string> successors;
  std::atomic<int> ok{0};
  RunTogether([&](int) {
    oauth::v1::TokenResponse out;
    grpc::Status s = oauthd_->tokens().RefreshToken(oauthd_->Context().get(), r, &out);
    if (!s.ok()) return;
    ++ok;
    absl::MutexLock lock(&mu);
    successors.insert(out.refresh_token());
  });
  EXPECT_EQ(ok.load(), kCallers);
  ASSERT_EQ(successors.size(), 1u);
  // Once the grace window has passed, presenting the rotated token is reuse:
  // the family is revoked and the shared successor stops working.
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));
  oauth::v1::TokenResponse out;
  grpc::Status s = oauthd_->tokens().RefreshToken(oauthd_->Context().get(), r, &out);
  EXPECT_EQ(OAuthErrorOf(s).error(), "invalid_grant");
  oauth::v1::RefreshTokenRequest next = r;
  next.set_refresh_token(*successors.begin());
  s = oauthd_->tokens().RefreshToken(oauthd_->Context().get(), next, &out);
  EXPECT_EQ(OAuthErrorOf(s).error(), "invalid_grant");
}

// With the default --refresh_retry_grace (10 s), presentations of one token
// while its successor is unused are retries of a lost answer: all fifty get
// the one successor, nobody gets a second. Using it ends the window: the
// first token is then reuse and the grant goes.
TEST(RaceRetryWindowTest, ConcurrentRefreshesShareOneSuccessorUntilItIsUsed) {
  auto p = OauthdProcess::Start({.flags = {"--worker_threads=32"}});
  ASSERT_TRUE(p.ok()) << p.status();
  OauthdProcess& oauthd = **p;
  ASSERT_TRUE(oauthd.CreateUser("alice", "wonderland").ok());
  oauth::admin::v1::Client c;
  c.add_grant_types("password");
  c.add_grant_types("refresh_token");
  c.add_allowed_scopes("read");
  auto client = oauthd.CreateClient(c);
  ASSERT_TRUE(client.ok()) << client.status();
  oauth::v1::RefreshTokenRequest r;
  *r.mutable_client() = *client;
  r.set_refresh_token(PasswordTokens(&oauthd, *client).refresh_token());
  absl::Mutex mu;
  std::set<std::string> successors;
  std::atomic<int> ok{0};
  absl::Barrier* barrier = new absl::Barrier(kCallers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCallers; ++i) {
    threads.emplace_back([&, barrier] {
      if (barrier->Block()) delete barrier;
      oauth::v1::TokenResponse out;
      grpc::Status s = oauthd.tokens().RefreshToken(oauthd.Context().get(), r, &out);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) return;
      ++ok;
      absl::MutexLock lock(&mu);
      successors.insert(out.refresh_token());
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kCallers);
  ASSERT_EQ(successors.size(), 1u);

  oauth::v1::RefreshTokenRequest next = r;
  next.set_refresh_token(*successors.begin());
  oauth::v1::TokenResponse newest;
  ASSERT_TRUE(oauthd.tokens().RefreshToken(oauthd.Context().get(), next, &newest).ok());
  oauth::v1::TokenResponse out;
  grpc::Status s = oauthd.tokens().RefreshToken(oauthd.Context().get(), r, &out);
  EXPECT_EQ(OAuthErrorOf(s).error(), "invalid_grant");
  next.set_refresh_token(newest.refresh_token());
  s = oauthd.tokens().RefreshToken(oauthd.Context().get(), next, &out);
  EXPECT_EQ(OAuthErrorOf(s).error(), "invalid_grant");
}

}  // namespace
}  // namespace oauthd::testing
