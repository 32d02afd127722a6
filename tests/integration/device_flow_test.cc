// The device authorization grant (RFC 8628) over gRPC against real oauthd +
// redis-server processes: every poll error, single use, the verification
// decisions, and the limit on guessing user codes.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "oauth/v1/device.grpc.pb.h"
#include "tests/integration/oauthd_process.h"

namespace oauthd::testing {
namespace {

using oauth::admin::v1::Client;
using oauth::v1::VerifyDeviceRequest;
using ::testing::MatchesRegex;

constexpr char kDeviceGrant[] = "urn:ietf:params:oauth:grant-type:device_code";

class DeviceFlowTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto p = OauthdProcess::Start({.flags = {"--device_code_ttl=4s", "--device_poll_interval=1s",
                                             "--device_user_code_attempts=4"}});
    ASSERT_TRUE(p.ok()) << p.status();
    oauthd_ = p->release();
    ASSERT_TRUE(oauthd_->CreateUser("alice", "wonderland").ok());
    devices_ = oauth::v1::DeviceService::NewStub(oauthd_->channel()).release();
  }
  static void TearDownTestSuite() {
    delete devices_;
    devices_ = nullptr;
    delete oauthd_;
    oauthd_ = nullptr;
  }

  oauth::v1::ClientAuthentication NewClient(bool is_public = true,
                                            std::vector<std::string> grants = {kDeviceGrant,
                                                                              "refresh_token"}) {
    Client c;
    c.set_client_name("Living Room TV");
    if (is_public) c.set_token_endpoint_auth_method("none");
    for (auto& g : grants) c.add_grant_types(g);
    c.add_allowed_scopes("tv");
    c.add_default_scopes("tv");
    auto auth = oauthd_->CreateClient(c);
    EXPECT_TRUE(auth.ok()) << auth.status();
    return *auth;
  }

  grpc::Status Start(const oauth::v1::ClientAuthentication& client,
                     oauth::v1::DeviceAuthorizeResponse* out, const std::string& scope = "") {
    oauth::v1::DeviceAuthorizeRequest r;
    *r.mutable_client() = client;
    r.set_scope(scope);
    return devices_->DeviceAuthorize(oauthd_->Context().get(), r, out);
  }

  oauth::v1::DeviceAuthorizeResponse Start(const oauth::v1::ClientAuthentication& client) {
    oauth::v1::DeviceAuthorizeResponse out;
    grpc::Status s = Start(client, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  grpc::Status Poll(const oauth::v1::ClientAuthentication& client, const std::string& code,
                    oauth::v1::TokenResponse* out = nullptr) {
    oauth::v1::IssueTokenRequest r;
    *r.mutable_client() = client;
    r.mutable_device_code()->set_device_code(code);
    oauth::v1::TokenResponse ignored;
    return oauthd_->tokens().IssueToken(oauthd_->Context().get(), r, out ? out : &ignored);
  }

  static std::string PollError(grpc::Status s) { return OAuthErrorOf(s).error(); }

  // VerifyDevice as the gateway sends it for a browser at `address`.
  grpc::Status Verify(const std::string& user_code, VerifyDeviceRequest::Decision decision,
                      const std::string& address = "192.0.2.10",
                      const std::string& password = "wonderland") {
    VerifyDeviceRequest r;
    r.set_user_code(user_code);
    r.set_decision(decision);
    if (decision == VerifyDeviceRequest::APPROVE) {
      r.mutable_login()->set_username("alice");
      r.mutable_login()->set_password(password);
    }
    auto ctx = oauthd_->Context();
    ctx->AddMetadata("oauthd-source-address", address);
    oauth::v1::VerifyDeviceResponse out;
    return devices_->VerifyDevice(ctx.get(), r, &out);
  }

  static OauthdProcess* oauthd_;
  static oauth::v1::DeviceService::Stub* devices_;
};

OauthdProcess* DeviceFlowTest::oauthd_ = nullptr;
oauth::v1::DeviceService::Stub* DeviceFlowTest::devices_ = nullptr;

TEST_F(DeviceFlowTest, ApprovedFlowIssuesTokensOnce) {
  auto client = NewClient();
  oauth::v1::DeviceAuthorizeResponse d = Start(client);
  EXPECT_THAT(d.user_code(),
              MatchesRegex("[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}"));
  EXPECT_EQ(d.verification_uri(), "https://issuer.test/device");
  EXPECT_EQ(d.verification_uri_complete(),
            "https://issuer.test/device?user_code=" + d.user_code());
  EXPECT_EQ(d.expires_in(), 4);
  EXPECT_EQ(d.interval(), 1);

  EXPECT_EQ(PollError(Poll(client, d.device_code())), "authorization_pending");
  ASSERT_TRUE(Verify(d.user_code(), VerifyDeviceRequest::APPROVE).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  oauth::v1::TokenResponse tokens;
  grpc::Status ok = Poll(client, d.device_code(), &tokens);
  ASSERT_TRUE(ok.ok()) << ok.error_message();
  EXPECT_EQ(tokens.scope(), "tv");
  EXPECT_FALSE(tokens.refresh_token().empty());

  // A second poll after success.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  grpc::Status again = Poll(client, d.device_code());
  EXPECT_EQ(again.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(PollError(again), "invalid_grant");

  // The grant's refresh token works.
  oauth::v1::RefreshTokenRequest refresh;
  *refresh.mutable_client() = client;
  refresh.set_refresh_token(tokens.refresh_token());
  oauth::v1::TokenResponse refreshed;
  EXPECT_TRUE(
      oauthd_->tokens().RefreshToken(oauthd_->Context().get(), refresh, &refreshed).ok());
}

TEST_F(DeviceFlowTest, SlowDownAddsFiveSecondsForThatDevice) {
  auto client = NewClient();
  oauth::v1::DeviceAuthorizeResponse d = Start(client);
  oauth::v1::DeviceAuthorizeResponse other = Start(client);
  EXPECT_EQ(PollError(Poll(client, d.device_code())), "authorization_pending");
  EXPECT_EQ(PollError(Poll(client, d.device_code())), "slow_down");
  // The interval is 6 s now: 1.2 s later is still too soon.
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  EXPECT_EQ(PollError(Poll(client, d.device_code())), "slow_down");
  // Another device keeps its 1 s.
  EXPECT_EQ(PollError(Poll(client, other.device_code())), "authorization_pending");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(PollError(Poll(client, other.device_code())), "authorization_pending");
}

TEST_F(DeviceFlowTest, DeniedIsAccessDenied) {
  auto client = NewClient();
  oauth::v1::DeviceAuthorizeResponse d = Start(client);
  ASSERT_TRUE(Verify(d.user_code(), VerifyDeviceRequest::DENY).ok());
  grpc::Status denied = Poll(client, d.device_code());
  EXPECT_EQ(PollError(denied), "access_denied");
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // The user code is spent: no approval after a denial.
  EXPECT_EQ(PollError(Verify(d.user_code(), VerifyDeviceRequest::APPROVE)), "invalid_grant");
}

TEST_F(DeviceFlowTest, ExpiredIsExpiredToken) {
  auto client = NewClient();
  oauth::v1::DeviceAuthorizeResponse d = Start(client);
  std::this_thread::sleep_for(std::chrono::milliseconds(4100));
  EXPECT_EQ(PollError(Poll(client, d.device_code())), "expired_token");
  EXPECT_EQ(PollError(Verify(d.user_code(), VerifyDeviceRequest::APPROVE)), "invalid_grant");
}

TEST_F(DeviceFlowTest, UnknownOrForeignCodeIsInvalidGrantAndChangesNothing) {
  auto client = NewClient();
  auto other = NewClient();
  oauth::v1::DeviceAuthorizeResponse d = Start(client);
  ASSERT_TRUE(Verify(d.user_code(), VerifyDeviceRequest::APPROVE).ok());
  EXPECT_EQ(PollError(Poll(client, "never-issued")), "invalid_grant");
  EXPECT_EQ(PollError(Poll(other, d.device_code())), "invalid_grant");
  EXPECT_EQ(PollError(Poll(client, "")), "invalid_request");
  EXPECT_TRUE(Poll(client, d.device_code()).ok());
}

TEST_F(DeviceFlowTest, DeviceAuthorizationChecksTheClient) {
  oauth::v1::DeviceAuthorizeResponse out;
  auto not_allowed = NewClient(false, {"client_credentials"});
  EXPECT_EQ(PollError(Start(not_allowed, &out)), "unauthorized_client");
  auto confidential = NewClient(false, {kDeviceGrant});
  EXPECT_TRUE(Start(confidential, &out).ok());
  confidential.set_client_secret("wrong");
  grpc::Status wrong = Start(confidential, &out);
  EXPECT_EQ(PollError(wrong), "invalid_client");
  EXPECT_EQ(wrong.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(PollError(Start(NewClient(), &out, "admin")), "invalid_scope");
  // A client that may not use the grant cannot poll either.
  EXPECT_EQ(PollError(Poll(not_allowed, "x")), "unauthorized_client");
}

TEST_F(DeviceFlowTest, UserCodeGuessingIsLimitedPerAddress) {
  auto client = NewClient();
  oauth::v1::DeviceAuthorizeResponse d = Start(client);
  const std::string attacker = "203.0.113.66";
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(PollError(Verify("BBBB-BBBB", VerifyDeviceRequest::DECISION_UNSPECIFIED,
                               attacker)),
              "invalid_grant");
  }
  grpc::Status refused =
      Verify(d.user_code(), VerifyDeviceRequest::DECISION_UNSPECIFIED, attacker);
  EXPECT_EQ(PollError(refused), "invalid_grant");
  EXPECT_THAT(OAuthErrorOf(refused).error_description(), ::testing::HasSubstr("too many"));
  // Approving from there is refused as well; the user elsewhere is not hindered.
  EXPECT_EQ(PollError(Verify(d.user_code(), VerifyDeviceRequest::APPROVE, attacker)),
            "invalid_grant");
  EXPECT_TRUE(Verify(d.user_code(), VerifyDeviceRequest::APPROVE, "192.0.2.99").ok());
}

}  // namespace
}  // namespace oauthd::testing
