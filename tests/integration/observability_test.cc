// oauthd's metrics (--metrics_listen) and access log (--access_log) against a
// real oauthd and Redis: scraped over HTTP as Prometheus does, counted by
// method, grant and outcome; the access log has one line per RPC and no
// secret of any kind (issue 14, item 3).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/core/random.h"
#include "tests/integration/http_get.h"
#include "tests/integration/oauthd_process.h"

namespace oauthd::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPassword[] = "correct horse battery staple";

// The value of the first sample line that begins with `series` ("name{...}"
// or "name"), or -1.
double Sample(const std::string& text, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StartsWith(line, series + " ")) {
      double v = -1;
      if (absl::SimpleAtod(line.substr(series.size() + 1), &v)) return v;
    }
  }
  return -1;
}

class ObservabilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    access_log_ = absl::StrCat(test_support::TestTempDir(), "/access-", RandomToken(6), ".log");
    for (int attempt = 0; attempt < 3 && !oauthd_; ++attempt) {
      auto port = test_support::PickUnusedTcpPort();
      ASSERT_TRUE(port.ok());
      metrics_port_ = *port;
      OauthdOptions options;
      options.flags = {absl::StrCat("--metrics_listen=127.0.0.1:", metrics_port_),
                       "--access_log=" + access_log_, "--login_failure_limit=2"};
      auto started = OauthdProcess::Start(options);
      if (started.ok()) oauthd_ = *std::move(started);
    }
    ASSERT_TRUE(oauthd_ != nullptr);
    ASSERT_TRUE(oauthd_->CreateUser("alice", kPassword).ok());
    oauth::admin::v1::Client c;
    c.add_grant_types("client_credentials");
    c.add_grant_types("password");
    c.add_grant_types("refresh_token");
    c.add_allowed_scopes("read");
    auto client = oauthd_->CreateClient(c);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *client;
  }

  std::string Scrape() {
    auto reply = HttpRequest(metrics_port_, "GET", "/metrics");
    EXPECT_TRUE(reply.ok()) << reply.status();
    if (!reply.ok()) return "";
    EXPECT_EQ(reply->status, 200);
    return reply->body;
  }

  grpc::Status ClientCredentials(const std::string& secret, oauth::v1::TokenResponse* out) {
    oauth::v1::IssueTokenRequest r;
    *r.mutable_client() = client_;
    r.mutable_client()->set_client_secret(secret);
    r.mutable_client_credentials()->set_scope("read");
    return oauthd_->tokens().IssueToken(oauthd_->Context().get(), r, out);
  }

  grpc::Status Password(const std::string& password, oauth::v1::TokenResponse* out) {
    oauth::v1::IssueTokenRequest r;
    *r.mutable_client() = client_;
    r.mutable_password()->set_username("alice");
    r.mutable_password()->set_password(password);
    return oauthd_->tokens().IssueToken(oauthd_->Context().get(), r, out);
  }

  std::unique_ptr<OauthdProcess> oauthd_;
  int metrics_port_ = 0;
  std::string access_log_;
  oauth::v1::ClientAuthentication client_;
};

TEST_F(ObservabilityTest, ServesPrometheusTextOnlyAtMetrics) {
  auto reply = HttpRequest(metrics_port_, "GET", "/metrics");
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->status, 200);
  EXPECT_THAT(absl::AsciiStrToLower(reply->headers),
              HasSubstr("content-type: text/plain; version=0.0.4; charset=utf-8"));
  EXPECT_THAT(reply->body, HasSubstr("# TYPE oauthd_rpcs_total counter\n"));
  auto other = HttpRequest(metrics_port_, "GET", "/");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->status, 404);
  auto post = HttpRequest(metrics_port_, "POST", "/metrics");
  ASSERT_TRUE(post.ok());
  EXPECT_EQ(post->status, 405);
  EXPECT_THAT(post->headers, HasSubstr("Allow: GET, HEAD"));
}

TEST_F(ObservabilityTest, CountsRpcsByMethodGrantAndOutcome) {
  oauth::v1::TokenResponse token;
  ASSERT_TRUE(ClientCredentials(client_.client_secret(), &token).ok());
  ASSERT_TRUE(ClientCredentials(client_.client_secret(), &token).ok());
  EXPECT_EQ(ClientCredentials("wrong-secret", &token).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  oauth::v1::TokenResponse refreshable;
  ASSERT_TRUE(Password(kPassword, &refreshable).ok());
  oauth::v1::RefreshTokenRequest refresh;
  *refresh.mutable_client() = client_;
  refresh.set_refresh_token(refreshable.refresh_token());
  oauth::v1::TokenResponse refreshed;
  ASSERT_TRUE(oauthd_->tokens().RefreshToken(oauthd_->Context().get(), refresh, &refreshed).ok());
  // Reuse of the rotated token (its successor used, so not a retry):
  // invalid_grant.
  oauth::v1::RefreshTokenRequest successor = refresh;
  successor.set_refresh_token(refreshed.refresh_token());
  ASSERT_TRUE(
      oauthd_->tokens().RefreshToken(oauthd_->Context().get(), successor, &refreshed).ok());
  EXPECT_FALSE(oauthd_->tokens().RefreshToken(oauthd_->Context().get(), refresh, &refreshed).ok());

  const std::string text = Scrape();
  const std::string issue = "oauthd_rpcs_total{method=\"oauth.v1.TokenService/IssueToken\",";
  EXPECT_EQ(Sample(text, issue + "grant_type=\"client_credentials\",code=\"OK\",error=\"\"}"), 2)
      << text;
  EXPECT_EQ(Sample(text, issue + "grant_type=\"client_credentials\",code=\"UNAUTHENTICATED\","
                                 "error=\"invalid_client\"}"),
            1);
  EXPECT_EQ(Sample(text, issue + "grant_type=\"password\",code=\"OK\",error=\"\"}"), 1);
  const std::string refresh_series =
      "oauthd_rpcs_total{method=\"oauth.v1.TokenService/RefreshToken\",grant_type=\"refresh_"
      "token\",";
  EXPECT_EQ(Sample(text, refresh_series + "code=\"OK\",error=\"\"}"), 2);
  EXPECT_EQ(Sample(text, refresh_series + "code=\"INVALID_ARGUMENT\",error=\"invalid_grant\"}"),
            1);
  // Admin calls are counted too (the client and the user created above).
  EXPECT_EQ(Sample(text, "oauthd_rpcs_total{method=\"oauth.admin.v1.AdminService/CreateClient\","
                         "grant_type=\"\",code=\"OK\",error=\"\"}"),
            1);
  // Latency histograms by method and grant.
  EXPECT_EQ(Sample(text, "oauthd_rpc_duration_seconds_count{method=\"oauth.v1.TokenService/"
                         "IssueToken\",grant_type=\"client_credentials\"}"),
            3);
  EXPECT_EQ(Sample(text, "oauthd_rpc_duration_seconds_bucket{method=\"oauth.v1.TokenService/"
                         "IssueToken\",grant_type=\"client_credentials\",le=\"+Inf\"}"),
            3);
  // Redis: round trips timed, a pool of --redis_pool_size, no errors yet.
  EXPECT_GT(Sample(text, "oauthd_redis_command_duration_seconds_count"), 0) << text;
  EXPECT_EQ(Sample(text, "oauthd_redis_pool_connections{state=\"max\"}"), 16);
  EXPECT_GE(Sample(text, "oauthd_redis_pool_connections{state=\"open\"}"), 1);
  EXPECT_EQ(Sample(text, "oauthd_redis_errors_total{kind=\"io\"}"), 0);
  // The revocation view is fresh (pinged every 250 ms).
  EXPECT_EQ(Sample(text, "oauthd_revocation_view_fresh"), 1);
  const double staleness = Sample(text, "oauthd_revocation_view_staleness_seconds");
  EXPECT_GE(staleness, 0);
  EXPECT_LT(staleness, 2);
  EXPECT_GE(Sample(text, "oauthd_revocation_view_resyncs_total"), 1);
  EXPECT_EQ(Sample(text, "oauthd_queue_rejections_total{queue=\"workers\"}"), 0);
  EXPECT_EQ(Sample(text, "oauthd_login_attempts_total{outcome=\"checked\"}"), 1);
  EXPECT_THAT(text, HasSubstr("oauthd_signing_keys{kid=\""));
  EXPECT_THAT(text, HasSubstr("\",state=\"signing\"} 1\n"));
}

TEST_F(ObservabilityTest, CountsThrottledLoginsAndRedisErrors) {
  oauth::v1::TokenResponse out;
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(Password("wrong password", &out).ok());
  std::string text = Scrape();
  EXPECT_EQ(Sample(text, "oauthd_login_attempts_total{outcome=\"checked\"}"), 2) << text;
  EXPECT_EQ(Sample(text, "oauthd_login_attempts_total{outcome=\"user_address\"}"), 2);

  // Redis goes away: requests that need it fail, and the failures are counted.
  ASSERT_TRUE(oauthd_->redis().Stop().ok());
  oauth::v1::IssueTokenRequest r;
  *r.mutable_client() = client_;
  r.mutable_password()->set_username("alice");
  r.mutable_password()->set_password(kPassword);
  EXPECT_EQ(oauthd_->tokens().IssueToken(oauthd_->Context(false, false).get(), r, &out)
                .error_code(),
            grpc::StatusCode::UNAVAILABLE);
  text = Scrape();
  EXPECT_GT(Sample(text, "oauthd_redis_errors_total{kind=\"io\"}") +
                Sample(text, "oauthd_redis_errors_total{kind=\"connect\"}"),
            0)
      << text;
  EXPECT_THAT(text, HasSubstr("code=\"UNAVAILABLE\",error=\"temporarily_unavailable\"}"));
}

TEST_F(ObservabilityTest, AccessLogHasOneLinePerRpcAndNoSecret) {
  oauth::v1::TokenResponse cc, pw;
  ASSERT_TRUE(ClientCredentials(client_.client_secret(), &cc).ok());
  ASSERT_TRUE(Password(kPassword, &pw).ok());
  EXPECT_FALSE(Password("a wrong password 123", &pw).ok());
  oauth::v1::IntrospectRequest introspect;
  *introspect.mutable_client() = client_;
  introspect.set_token(cc.access_token());
  oauth::v1::IntrospectResponse info;
  ASSERT_TRUE(oauthd_->tokens().Introspect(oauthd_->Context().get(), introspect, &info).ok());
  oauth::v1::RevokeRequest revoke;
  *revoke.mutable_client() = client_;
  revoke.set_token(pw.refresh_token());
  oauth::v1::RevokeResponse revoked;
  ASSERT_TRUE(oauthd_->tokens().Revoke(oauthd_->Context().get(), revoke, &revoked).ok());

  std::ifstream in(access_log_);
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string log = buffer.str();
  std::vector<std::string> lines = absl::StrSplit(log, '\n', absl::SkipEmpty());
  // CreateUser, CreateClient, 3 IssueToken, Introspect, Revoke.
  ASSERT_EQ(lines.size(), 7u) << log;
  const std::regex shape(
      R"(\{"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","method":"[A-Za-z0-9./]+",)"
      R"("grant_type":"[a-z_]*","client_id":"[^"]*","code":"[A-Z_]+","error":"[a-z_]*",)"
      R"("latency_ms":\d+\.\d{3},"peer":"[^"]+","source_address":"[^"]*"\})");
  for (const std::string& line : lines) EXPECT_TRUE(std::regex_match(line, shape)) << line;
  EXPECT_THAT(lines[2], HasSubstr(absl::StrCat(
                            "\"method\":\"oauth.v1.TokenService/IssueToken\",\"grant_type\":"
                            "\"client_credentials\",\"client_id\":\"",
                            client_.client_id(), "\",\"code\":\"OK\",\"error\":\"\"")));
  EXPECT_THAT(lines[4], HasSubstr("\"grant_type\":\"password\""));
  EXPECT_THAT(lines[4], HasSubstr("\"code\":\"INVALID_ARGUMENT\",\"error\":\"invalid_grant\""));
  EXPECT_THAT(lines[2], HasSubstr("\"peer\":\"ipv"));
  // Not one secret of any kind.
  for (const std::string& secret :
       {client_.client_secret(), std::string(kPassword), std::string("a wrong password 123"),
        cc.access_token(), pw.access_token(), pw.refresh_token()}) {
    ASSERT_FALSE(secret.empty());
    EXPECT_THAT(log, Not(HasSubstr(secret)));
    // Nor the signature of a JWT, nor the secret half of a refresh token.
    EXPECT_THAT(log, Not(HasSubstr(secret.substr(secret.size() - 20))));
  }
}

TEST(ObservabilityStartTest, AMetricsPortInUseStopsTheStartWithOneLine) {
  // Hold a port with a listener of our own.
  auto held = OauthdProcess::Start();
  ASSERT_TRUE(held.ok()) << held.status();
  const std::string taken = (*held)->address();  // oauthd's own gRPC port
  OauthdOptions options;
  options.flags = {"--metrics_listen=" + taken};
  auto second = OauthdProcess::Start(options);
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(std::string(second.status().message()),
              HasSubstr("oauthd: --metrics_listen: cannot listen on " + taken));
}

}  // namespace
}  // namespace oauthd::testing
