// Login limits and the audit log against real oauthd and Redis (issue 10):
// the gateway's `oauthd-source-address` metadata decides the address bucket
// (over a local connection only), keys made by strangers stay bounded, and
// the audit log records security events without a secret in any line.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <atomic>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/core/random.h"
#include "tests/integration/oauthd_process.h"

namespace oauthd::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class LoginSecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    audit_path_ = absl::StrCat(test_support::TestTempDir(), "/audit-", RandomToken(6), ".log");
    OauthdOptions options;
    options.flags = {"--login_address_limit=10", "--login_failure_limit=3",
                     "--audit_log=" + audit_path_};
    auto started = OauthdProcess::Start(options);
    ASSERT_TRUE(started.ok()) << started.status();
    oauthd_ = *std::move(started);
    ASSERT_TRUE(oauthd_->CreateUser("alice", kAlicePassword).ok());
    oauth::admin::v1::Client c;
    c.add_grant_types("password");
    c.add_grant_types("refresh_token");
    auto client = oauthd_->CreateClient(c);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *client;
  }

  // The password grant as the gateway sends it for a caller at `from`.
  grpc::Status Login(const std::string& username, const std::string& password,
                     const std::string& from, oauth::v1::TokenResponse* out = nullptr) {
    oauth::v1::IssueTokenRequest request;
    *request.mutable_client() = client_;
    request.mutable_password()->set_username(username);
    request.mutable_password()->set_password(password);
    auto ctx = oauthd_->Context();
    if (!from.empty()) ctx->AddMetadata("oauthd-source-address", from);
    oauth::v1::TokenResponse ignored;
    return oauthd_->tokens().IssueToken(ctx.get(), request, out ? out : &ignored);
  }

  static bool Throttled(const grpc::Status& s) {
    return absl::StrContains(s.error_message(), "too many");
  }

  std::string Audit() const {
    std::ifstream in(audit_path_);
    std::stringstream b;
    b << in.rdbuf();
    return b.str();
  }

  static constexpr char kAlicePassword[] = "correct horse battery";
  std::string audit_path_;
  std::unique_ptr<OauthdProcess> oauthd_;
  oauth::v1::ClientAuthentication client_;
};

TEST_F(LoginSecurityTest, TheGatewaysCallerAddressPicksTheBucket) {
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(Login("alice", "wrong", "203.0.113.9").ok());
  EXPECT_TRUE(Throttled(Login("alice", kAlicePassword, "203.0.113.9")));
  // Alice, at home, is not locked out by the guesses from 203.0.113.9.
  grpc::Status home = Login("alice", kAlicePassword, "192.0.2.10");
  EXPECT_TRUE(home.ok()) << home.error_message();
  // A value that is not an IP address is ignored (the peer's address is used).
  EXPECT_TRUE(Login("alice", kAlicePassword, "not an address").ok());
}

TEST_F(LoginSecurityTest, StrangersCannotLockOutRealUsersAndTheirKeysStayBounded) {
  auto dbsize = [&] { return std::stoll(oauthd_->redis().Command({"DBSIZE"}).value()); };
  const int64_t keys_before = dbsize();
  // 120 made-up usernames through this client from 4 addresses (limit 10 each).
  int throttled = 0;
  for (int i = 0; i < 120; ++i) {
    grpc::Status s = Login(absl::StrCat("ghost-", RandomToken(4)), "guess",
                           absl::StrCat("198.51.100.", i % 4));
    EXPECT_FALSE(s.ok());
    throttled += Throttled(s);
  }
  EXPECT_EQ(throttled, 120 - 4 * 10);
  EXPECT_TRUE(Login("alice", kAlicePassword, "192.0.2.10").ok());
  // Per address and window: one address counter plus two per admitted
  // attempt, whatever the attempts beyond the limit.
  const int64_t keys_after = dbsize();
  EXPECT_LE(keys_after - keys_before, 4 * (1 + 2 * 10) + 8);  // + alice's login and grant
}

TEST_F(LoginSecurityTest, ParallelGuessesGetAtMostTheLimitOfChecks) {
  std::vector<std::thread> threads;
  std::atomic<int> checked{0};
  for (int i = 0; i < 40; ++i) {
    threads.emplace_back([&] {
      grpc::Status s = Login("alice", "wrong", "203.0.113.77");
      if (!s.ok() && !Throttled(s)) ++checked;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(checked.load(), 3);
}

TEST_F(LoginSecurityTest, TheAuditLogRecordsSecurityEventsAndNoSecrets) {
  oauth::v1::TokenResponse tokens;
  ASSERT_TRUE(Login("alice", kAlicePassword, "192.0.2.10", &tokens).ok());
  ASSERT_FALSE(Login("alice", "wrong-password-xyz", "192.0.2.11").ok());
  // Refresh, refresh with the successor, then the first token again: reuse.
  oauth::v1::RefreshTokenRequest refresh;
  *refresh.mutable_client() = client_;
  refresh.set_refresh_token(tokens.refresh_token());
  oauth::v1::TokenResponse refreshed;
  auto ctx1 = oauthd_->Context();
  ASSERT_TRUE(oauthd_->tokens().RefreshToken(ctx1.get(), refresh, &refreshed).ok());
  oauth::v1::RefreshTokenRequest successor = refresh;
  successor.set_refresh_token(refreshed.refresh_token());
  auto ctx_successor = oauthd_->Context();
  ASSERT_TRUE(
      oauthd_->tokens().RefreshToken(ctx_successor.get(), successor, &refreshed).ok());
  auto ctx2 = oauthd_->Context();
  EXPECT_FALSE(oauthd_->tokens().RefreshToken(ctx2.get(), refresh, &refreshed).ok());
  // An admin change.
  oauth::admin::v1::UnlockUserRequest unlock;
  unlock.set_username("alice");
  oauth::admin::v1::User user;
  auto ctx3 = oauthd_->Context(/*admin=*/true);
  ASSERT_TRUE(oauthd_->admin().UnlockUser(ctx3.get(), unlock, &user).ok());

  const std::string audit = Audit();
  for (const char* event : {"\"event\":\"login.success\"", "\"event\":\"login.failure\"",
                            "\"event\":\"token.issued\"", "\"event\":\"token.refreshed\"",
                            "\"event\":\"refresh.reuse\"", "\"event\":\"admin.user.unlock\"",
                            "\"event\":\"admin.client.create\"",
                            "\"event\":\"admin.user.create\""}) {
    EXPECT_THAT(audit, HasSubstr(event)) << audit;
  }
  EXPECT_THAT(audit, HasSubstr("\"source_address\":\"192.0.2.10\""));
  EXPECT_THAT(audit, HasSubstr(absl::StrCat("\"client_id\":\"", client_.client_id(), "\"")));
  // Never a secret, a password or a token.
  for (const std::string& secret :
       {std::string(kAlicePassword), std::string("wrong-password-xyz"), client_.client_secret(),
        tokens.access_token(), tokens.refresh_token(), refreshed.access_token(),
        refreshed.refresh_token()}) {
    if (secret.empty()) continue;
    EXPECT_THAT(audit, Not(HasSubstr(secret)));
  }
  // One JSON object per line.
  for (absl::string_view line : absl::StrSplit(audit, '\n', absl::SkipEmpty())) {
    EXPECT_TRUE(absl::StartsWith(line, "{\"time\":\"") && absl::EndsWith(line, "}")) << line;
  }
  // The grant id names the revoked grant on reuse.
  EXPECT_THAT(audit, HasSubstr("\"grant_id\":\""));
}

}  // namespace
}  // namespace oauthd::testing
