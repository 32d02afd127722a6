// The device authorization grant (RFC 8628) in the domain: the endpoint,
// the verification decisions and every poll outcome, on the memory store
// with a fake clock.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>
#include <set>

#include "server/core/device_authorization.h"
#include "server/core/user_code.h"
#include "tests/core/service_fixture.h"

namespace oauthd::testing {
namespace {

using oauth::v1::VerifyDeviceRequest;
using ::testing::ElementsAre;
using ::testing::MatchesRegex;

TEST(UserCodeTest, FreshCodesUseTheAlphabetAndVary) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string code = NewUserCode();
    ASSERT_THAT(code, MatchesRegex("[BCDFGHJKLMNPQRSTVWXZ]{8}"));
    seen.insert(code);
  }
  EXPECT_GT(seen.size(), 190u);
  EXPECT_EQ(FormatUserCode("BCDFGHJK"), "BCDF-GHJK");
}

TEST(UserCodeTest, NormalizeIgnoresCaseDashesAndSpaces) {
  EXPECT_EQ(NormalizeUserCode("bcdf-ghjk"), "BCDFGHJK");
  EXPECT_EQ(NormalizeUserCode(" BcDf ghJK "), "BCDFGHJK");
  EXPECT_EQ(NormalizeUserCode("BCDFGHJK"), "BCDFGHJK");
  EXPECT_EQ(NormalizeUserCode("BCDF-GHJ"), std::nullopt);     // 7
  EXPECT_EQ(NormalizeUserCode("BCDF-GHJKL"), std::nullopt);   // 9
  EXPECT_EQ(NormalizeUserCode("BCDF-GHJA"), std::nullopt);    // vowel
  EXPECT_EQ(NormalizeUserCode("BCDF-GHJ1"), std::nullopt);    // digit
  EXPECT_EQ(NormalizeUserCode(""), std::nullopt);
}

class DeviceGrantTest : public ServiceTest {
 protected:
  void SetUp() override { AddUser("alice", "wonderland"); }

  oauth::v1::ClientAuthentication PublicDeviceClient() {
    oauth::admin::v1::Client c;
    c.set_client_name("Living Room TV");
    c.set_token_endpoint_auth_method("none");
    c.add_grant_types(std::string(kDeviceCodeGrantType));
    c.add_grant_types("refresh_token");
    c.add_allowed_scopes("tv");
    c.add_allowed_scopes("profile");
    c.add_default_scopes("tv");
    return AddClient(c);
  }

  oauth::v1::DeviceAuthorizeResponse Start(const oauth::v1::ClientAuthentication& client,
                                           const std::string& scope = "") {
    oauth::v1::DeviceAuthorizeRequest r;
    *r.mutable_client() = client;
    r.set_scope(scope);
    auto started = service_->DeviceAuthorize(r);
    EXPECT_TRUE(started.ok()) << started.status();
    return started.ok() ? *started : oauth::v1::DeviceAuthorizeResponse();
  }

  absl::StatusOr<oauth::v1::TokenResponse> Poll(const oauth::v1::ClientAuthentication& client,
                                                const std::string& device_code) {
    oauth::v1::IssueTokenRequest r;
    *r.mutable_client() = client;
    r.mutable_device_code()->set_device_code(device_code);
    return service_->IssueToken(r);
  }

  absl::StatusOr<oauth::v1::VerifyDeviceResponse> Verify(
      const std::string& user_code, VerifyDeviceRequest::Decision decision,
      const std::string& password = "wonderland", const std::string& address = "192.0.2.1") {
    VerifyDeviceRequest r;
    r.set_user_code(user_code);
    r.set_decision(decision);
    if (decision == VerifyDeviceRequest::APPROVE) {
      r.mutable_login()->set_username("alice");
      r.mutable_login()->set_password(password);
    }
    return service_->VerifyDevice(r, RequestContext{address});
  }
};

TEST_F(DeviceGrantTest, ResponseHasEveryRfcMember) {
  auto client = PublicDeviceClient();
  oauth::v1::DeviceAuthorizeResponse d = Start(client);
  EXPECT_GE(d.device_code().size(), 43u);
  EXPECT_THAT(d.user_code(), MatchesRegex("[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}"));
  EXPECT_EQ(d.verification_uri(), "https://issuer.test/device");
  EXPECT_EQ(d.verification_uri_complete(),
            "https://issuer.test/device?user_code=" + d.user_code());
  EXPECT_EQ(d.expires_in(), 600);
  EXPECT_EQ(d.interval(), 5);
}

TEST_F(DeviceGrantTest, ApprovedFlowIssuesTokensOnceWithAGrant) {
  auto client = PublicDeviceClient();
  oauth::v1::DeviceAuthorizeResponse d = Start(client, "tv profile");
  EXPECT_EQ(ErrorOf(Poll(client, d.device_code()).status()), "authorization_pending");

  // Typed in lower case without the dash.
  std::string typed = d.user_code();
  typed.erase(4, 1);
  for (char& c : typed) c = static_cast<char>(std::tolower(c));
  auto shown = Verify(typed, VerifyDeviceRequest::DECISION_UNSPECIFIED);
  ASSERT_TRUE(shown.ok()) << shown.status();
  EXPECT_EQ(shown->user_code(), d.user_code());
  EXPECT_EQ(shown->client_id(), client.client_id());
  EXPECT_EQ(shown->client_name(), "Living Room TV");
  EXPECT_THAT(shown->scopes(), ElementsAre("tv", "profile"));

  auto approved = Verify(typed, VerifyDeviceRequest::APPROVE);
  ASSERT_TRUE(approved.ok()) << approved.status();
  EXPECT_EQ(approved->decision(), VerifyDeviceRequest::APPROVE);

  Advance(absl::Seconds(5));
  auto tokens = Poll(client, d.device_code());
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  EXPECT_EQ(tokens->scope(), "tv profile");
  EXPECT_FALSE(tokens->refresh_token().empty());
  auto claims = issuer_->Verify(tokens->access_token());
  ASSERT_TRUE(claims.has_value());
  EXPECT_EQ(claims->username, "alice");
  EXPECT_FALSE(claims->grant_id.empty());

  // Single use.
  Advance(absl::Seconds(5));
  EXPECT_EQ(ErrorOf(Poll(client, d.device_code()).status()), "invalid_grant");
  // The user code is spent too.
  EXPECT_EQ(ErrorOf(Verify(typed, VerifyDeviceRequest::DECISION_UNSPECIFIED).status()),
            "invalid_grant");
  // The refresh token works.
  oauth::v1::RefreshTokenRequest refresh;
  *refresh.mutable_client() = client;
  refresh.set_refresh_token(tokens->refresh_token());
  EXPECT_TRUE(service_->RefreshToken(refresh).ok());
}

TEST_F(DeviceGrantTest, SlowDownGrowsTheIntervalByFiveSeconds) {
  auto client = PublicDeviceClient();
  oauth::v1::DeviceAuthorizeResponse d = Start(client);
  EXPECT_EQ(ErrorOf(Poll(client, d.device_code()).status()), "authorization_pending");
  EXPECT_EQ(ErrorOf(Poll(client, d.device_code()).status()), "slow_down");  // now 10 s
  Advance(absl::Seconds(5));
  EXPECT_EQ(ErrorOf(Poll(client, d.device_code()).status()), "slow_down");  // now 15 s
  Advance(absl::Seconds(15));
  EXPECT_EQ(ErrorOf(Poll(client, d.device_code()).status()), "authorization_pending");
}

TEST_F(DeviceGrantTest, DenialIsAccessDenied) {
  auto client = PublicDeviceClient();
  oauth::v1::DeviceAuthorizeResponse d = Start(client);
  ASSERT_TRUE(Verify(d.user_code(), VerifyDeviceRequest::DENY).ok());
  absl::Status denied = Poll(client, d.device_code()).status();
  EXPECT_EQ(ErrorOf(denied), "access_denied");
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(DeviceGrantTest, ExpiredCodeIsExpiredToken) {
  auto client = PublicDeviceClient();
  oauth::v1::DeviceAuthorizeResponse d = Start(client);
  Advance(config_.device_code_ttl);
  EXPECT_EQ(ErrorOf(Poll(client, d.device_code()).status()), "expired_token");
  EXPECT_EQ(ErrorOf(Verify(d.user_code(), VerifyDeviceRequest::APPROVE).status()),
            "invalid_grant");
}

TEST_F(DeviceGrantTest, UnknownOrForeignDeviceCodeIsInvalidGrant) {
  auto client = PublicDeviceClient();
  auto other = PublicDeviceClient();
  oauth::v1::DeviceAuthorizeResponse d = Start(client);
  ASSERT_TRUE(Verify(d.user_code(), VerifyDeviceRequest::APPROVE).ok());
  EXPECT_EQ(ErrorOf(Poll(client, "not-a-device-code").status()), "invalid_grant");
  EXPECT_EQ(ErrorOf(Poll(other, d.device_code()).status()), "invalid_grant");
  EXPECT_EQ(ErrorOf(Poll(client, "").status()), "invalid_request");
  // The foreign poll spent nothing.
  EXPECT_TRUE(Poll(client, d.device_code()).ok());
}

TEST_F(DeviceGrantTest, ClientMustBeAllowedTheGrant) {
  auto confidential = AddConfidential({"client_credentials"});
  oauth::v1::DeviceAuthorizeRequest r;
  *r.mutable_client() = confidential;
  EXPECT_EQ(ErrorOf(service_->DeviceAuthorize(r).status()), "unauthorized_client");
  r.mutable_client()->set_client_secret("wrong");
  EXPECT_EQ(ErrorOf(service_->DeviceAuthorize(r).status()), "invalid_client");
  auto client = PublicDeviceClient();
  *r.mutable_client() = client;
  r.set_scope("admin");
  EXPECT_EQ(ErrorOf(service_->DeviceAuthorize(r).status()), "invalid_scope");
}

TEST_F(DeviceGrantTest, WrongPasswordKeepsTheCodePending) {
  auto client = PublicDeviceClient();
  oauth::v1::DeviceAuthorizeResponse d = Start(client);
  EXPECT_EQ(ErrorOf(Verify(d.user_code(), VerifyDeviceRequest::APPROVE, "nope").status()),
            "invalid_grant");
  EXPECT_EQ(ErrorOf(Poll(client, d.device_code()).status()), "authorization_pending");
  EXPECT_TRUE(Verify(d.user_code(), VerifyDeviceRequest::APPROVE).ok());
}

TEST_F(DeviceGrantTest, GuessingUserCodesIsLimitedPerAddress) {
  auto client = PublicDeviceClient();
  oauth::v1::DeviceAuthorizeResponse d = Start(client);
  for (int i = 0; i < config_.device_user_code_attempts; ++i) {
    EXPECT_EQ(ErrorOf(Verify("BBBB-BBBB", VerifyDeviceRequest::DECISION_UNSPECIFIED, "",
                             "198.51.100.7")
                          .status()),
              "invalid_grant");
  }
  // Over the limit even the right code is refused from that address...
  absl::Status refused =
      Verify(d.user_code(), VerifyDeviceRequest::DECISION_UNSPECIFIED, "", "198.51.100.7")
          .status();
  EXPECT_EQ(ErrorOf(refused), "invalid_grant");
  EXPECT_THAT(std::string(refused.message()), ::testing::HasSubstr("too many"));
  // ... but not from another one, and not after the window.
  EXPECT_TRUE(Verify(d.user_code(), VerifyDeviceRequest::DECISION_UNSPECIFIED).ok());
  Advance(config_.failure_window);
  oauth::v1::DeviceAuthorizeResponse later = Start(client);
  EXPECT_TRUE(Verify(later.user_code(), VerifyDeviceRequest::DECISION_UNSPECIFIED, "",
                     "198.51.100.7")
                  .ok());
}

TEST_F(DeviceGrantTest, RightCodesDoNotUseUpTheLimit) {
  auto client = PublicDeviceClient();
  oauth::v1::DeviceAuthorizeResponse d = Start(client);
  for (int i = 0; i < 3 * config_.device_user_code_attempts; ++i) {
    ASSERT_TRUE(Verify(d.user_code(), VerifyDeviceRequest::DECISION_UNSPECIFIED).ok()) << i;
  }
}

TEST_F(DeviceGrantTest, MetadataListsTheGrantType) {
  auto m = service_->GetServerMetadata();
  EXPECT_THAT(m.grant_types_supported(),
              ::testing::Contains("urn:ietf:params:oauth:grant-type:device_code"));
}

}  // namespace
}  // namespace oauthd::testing
