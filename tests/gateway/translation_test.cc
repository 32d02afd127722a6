// Tests of the pure request/response translation pieces: token request
// building, the authorize form helpers, JSON writing and metrics rendering.

#include "gtest/gtest.h"
#include "server/gateway/authorize_form.h"
#include "server/gateway/json_writer.h"
#include "server/gateway/metrics.h"
#include "server/gateway/token_request.h"

namespace oauthd::gateway {
namespace {

FormParameters Form(absl::string_view encoded) {
  auto form = FormParameters::Parse(encoded, {"resource"});
  EXPECT_TRUE(form.ok()) << form.status();
  return *form;
}

oauth::v1::ClientAuthentication Client() {
  oauth::v1::ClientAuthentication client;
  client.set_client_id("c");
  client.set_client_secret("s");
  return client;
}

TEST(BuildTokenRpcTest, ClientCredentials) {
  TokenRpc rpc = BuildTokenRpc(
      Form("grant_type=client_credentials&scope=a+b&resource=https%3A%2F%2Fapi1&resource=r2"),
      Client());
  auto* issue = std::get_if<oauth::v1::IssueTokenRequest>(&rpc);
  ASSERT_NE(issue, nullptr);
  EXPECT_EQ(issue->client().client_id(), "c");
  ASSERT_TRUE(issue->has_client_credentials());
  EXPECT_EQ(issue->client_credentials().scope(), "a b");
  ASSERT_EQ(issue->resource_size(), 2);
  EXPECT_EQ(issue->resource(0), "https://api1");
}

TEST(BuildTokenRpcTest, Password) {
  TokenRpc rpc =
      BuildTokenRpc(Form("grant_type=password&username=al+ice&password=p%26w"), Client());
  auto& issue = std::get<oauth::v1::IssueTokenRequest>(rpc);
  ASSERT_TRUE(issue.has_password());
  EXPECT_EQ(issue.password().username(), "al ice");
  EXPECT_EQ(issue.password().password(), "p&w");
}

TEST(BuildTokenRpcTest, AuthorizationCode) {
  TokenRpc rpc = BuildTokenRpc(
      Form("grant_type=authorization_code&code=C&redirect_uri=http%3A%2F%2Fx%2Fcb&code_verifier=V"),
      Client());
  auto& issue = std::get<oauth::v1::IssueTokenRequest>(rpc);
  ASSERT_TRUE(issue.has_authorization_code());
  EXPECT_EQ(issue.authorization_code().code(), "C");
  EXPECT_EQ(issue.authorization_code().redirect_uri(), "http://x/cb");
  EXPECT_EQ(issue.authorization_code().code_verifier(), "V");
}

TEST(BuildTokenRpcTest, DeviceCode) {
  TokenRpc rpc = BuildTokenRpc(
      Form("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=D"),
      Client());
  auto& issue = std::get<oauth::v1::IssueTokenRequest>(rpc);
  ASSERT_TRUE(issue.has_device_code());
  EXPECT_EQ(issue.device_code().device_code(), "D");
  EXPECT_EQ(GrantTypeLabel("urn:ietf:params:oauth:grant-type:device_code"), "device_code");
}

TEST(BuildTokenRpcTest, RefreshToken) {
  TokenRpc rpc =
      BuildTokenRpc(Form("grant_type=refresh_token&refresh_token=R&scope=read"), Client());
  auto* refresh = std::get_if<oauth::v1::RefreshTokenRequest>(&rpc);
  ASSERT_NE(refresh, nullptr);
  EXPECT_EQ(refresh->refresh_token(), "R");
  EXPECT_EQ(refresh->scope(), "read");
  EXPECT_EQ(refresh->client().client_secret(), "s");
}

TEST(BuildTokenRpcTest, UnknownGrantTypeIsPassedOn) {
  TokenRpc rpc = BuildTokenRpc(
      Form("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"), Client());
  auto& issue = std::get<oauth::v1::IssueTokenRequest>(rpc);
  EXPECT_EQ(issue.grant_case(), oauth::v1::IssueTokenRequest::kOtherGrantType);
  EXPECT_EQ(issue.other_grant_type(), "urn:ietf:params:oauth:grant-type:jwt-bearer");
}

TEST(BuildTokenRpcTest, MissingGrantTypeHasNoGrant) {
  TokenRpc rpc = BuildTokenRpc(Form("scope=x"), Client());
  auto& issue = std::get<oauth::v1::IssueTokenRequest>(rpc);
  EXPECT_EQ(issue.grant_case(), oauth::v1::IssueTokenRequest::GRANT_NOT_SET);
}

TEST(GrantTypeLabelTest, BoundedValues) {
  EXPECT_EQ(GrantTypeLabel("password"), "password");
  EXPECT_EQ(GrantTypeLabel("refresh_token"), "refresh_token");
  EXPECT_EQ(GrantTypeLabel(""), "none");
  EXPECT_EQ(GrantTypeLabel("urn:x"), "other");
}

TEST(AuthorizeFormTest, RequestFromQuery) {
  FormParameters form = Form(
      "response_type=code&client_id=app&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb"
      "&scope=read&state=st&code_challenge=CC&code_challenge_method=S256"
      "&resource=r1&resource=r2&unknown=1");
  oauth::v1::AuthorizeRequest r = AuthorizeRequestFromForm(form);
  EXPECT_EQ(r.client_id(), "app");
  EXPECT_EQ(r.response_type(), "code");
  EXPECT_EQ(r.redirect_uri(), "http://127.0.0.1/cb");
  EXPECT_EQ(r.scope(), "read");
  EXPECT_EQ(r.state(), "st");
  EXPECT_EQ(r.code_challenge(), "CC");
  EXPECT_EQ(r.code_challenge_method(), "S256");
  EXPECT_EQ(r.resource_size(), 2);
  EXPECT_FALSE(r.has_login());
}

TEST(AuthorizeFormTest, BoundFieldsAreOrderedAndIgnoreOtherFields) {
  // The same request in another order, plus the login fields, binds the same.
  FormParameters page =
      Form("client_id=app&response_type=code&state=st&resource=r1&display_client_name=App");
  FormParameters posted = Form(
      "display_client_name=App&state=st&username=u&password=p&action=approve&csrf_token=t"
      "&resource=r1&response_type=code&client_id=app");
  EXPECT_EQ(BoundFields(page), BoundFields(posted));
  const CsrfProtector::Fields expected = {{"client_id", "app"},
                                          {"response_type", "code"},
                                          {"state", "st"},
                                          {"resource", "r1"},
                                          {"display_client_name", "App"}};
  EXPECT_EQ(BoundFields(posted), expected);
  EXPECT_EQ(AuthorizationRequestFields(posted).size(), 4u);
}

TEST(AuthorizeFormTest, IsLoginSubmission) {
  EXPECT_TRUE(IsLoginSubmission(Form("action=deny")));
  EXPECT_TRUE(IsLoginSubmission(Form("csrf_token=x&client_id=a")));
  EXPECT_FALSE(IsLoginSubmission(Form("client_id=a&response_type=code")));
}

TEST(AuthorizeFormTest, RedirectTargetOfRepeatedRequest) {
  auto target = RedirectTargetOfRepeatedRequest(
      "client_id=c&redirect_uri=https%3A%2F%2Fa.example%2Fcb&scope=a&scope=b&state=s+1");
  ASSERT_TRUE(target.has_value());
  EXPECT_EQ(target->client_id(), "c");
  EXPECT_EQ(target->redirect_uri(), "https://a.example/cb");
  EXPECT_EQ(target->state(), "s 1");
  // Nothing else: oauthd must refuse the request and name the redirect URI.
  EXPECT_EQ(target->response_type(), "");
  EXPECT_EQ(target->scope(), "");
  auto no_state = RedirectTargetOfRepeatedRequest("client_id=c&state=a&state=b");
  ASSERT_TRUE(no_state.has_value());
  EXPECT_EQ(no_state->state(), "");
  EXPECT_EQ(no_state->redirect_uri(), "");
  for (absl::string_view refused :
       {"client_id=c&client_id=c&state=a", "client_id=c&redirect_uri=x&redirect_uri=x",
        "redirect_uri=x&state=a&state=b", "client_id=c&scope=a&scope=b&state=%zz",
        "client_id=c&scope=%C3%28&scope=b"}) {
    EXPECT_FALSE(RedirectTargetOfRepeatedRequest(refused).has_value()) << refused;
  }
}

TEST(JsonWriterTest, EscapesAndOrders) {
  JsonObjectWriter json;
  json.String("a", "q\"b\\c\n\x01<>&é");
  json.Int("n", -5);
  json.Bool("t", true);
  json.StringIfNotEmpty("skip", "");
  google::protobuf::RepeatedPtrField<std::string> values;
  json.StringArrayIfNotEmpty("empty", values);
  *values.Add() = "x";
  *values.Add() = "y";
  json.StringArrayIfNotEmpty("arr", values);
  json.Raw("raw", "[1]");
  EXPECT_EQ(json.Finish(),
            R"({"a":"q\"b\\c\n\u0001\u003c\u003e\u0026é","n":-5,"t":true,"arr":["x","y"],)"
            R"("raw":[1]})");
}

TEST(MetricsTest, RendersCountersAndHistograms) {
  Metrics metrics;
  metrics.RecordRequest("token", "password", "success", absl::Milliseconds(3));
  metrics.RecordRequest("token", "password", "success", absl::Milliseconds(30));
  metrics.RecordRequest("token", "password", "invalid_grant", absl::Seconds(20));
  metrics.ConnectionOpened();
  const std::string text = metrics.RenderPrometheus();
  EXPECT_NE(text.find("oauth_gateway_requests_total{endpoint=\"token\",grant_type=\"password\","
                      "outcome=\"success\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("outcome=\"invalid_grant\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("oauth_gateway_request_duration_seconds_bucket{endpoint=\"token\","
                      "le=\"0.005\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("le=\"0.05\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("le=\"10\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("oauth_gateway_request_duration_seconds_count{endpoint=\"token\"} 3\n"),
            std::string::npos);
  EXPECT_NE(text.find("oauth_gateway_open_connections 1\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE oauth_gateway_request_duration_seconds histogram"),
            std::string::npos);
}

}  // namespace
}  // namespace oauthd::gateway
