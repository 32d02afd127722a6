// Every grant end to end over gRPC against real oauthd + redis-server
// processes, plus restart and TTL behaviour.

#include <gtest/gtest.h>

#include <thread>

#include "server/core/pkce.h"
#include "tests/integration/oauthd_process.h"

namespace oauthd::testing {
namespace {

using oauth::admin::v1::Client;

constexpr char kVerifier[] = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

class FlowTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto p = OauthdProcess::Start({.flags = {"--code_ttl=2s"}});
    ASSERT_TRUE(p.ok()) << p.status();
    oauthd_ = p->release();
    ASSERT_TRUE(oauthd_->CreateUser("alice", "wonderland").ok());
  }
  static void TearDownTestSuite() {
    delete oauthd_;
    oauthd_ = nullptr;
  }

  oauth::v1::ClientAuthentication NewClient(std::vector<std::string> grants,
                                            int grace = 0) {
    Client c;
    for (auto& g : grants) c.add_grant_types(g);
    c.add_redirect_uris("https://app.test/cb");
    c.add_allowed_scopes("read");
    c.add_allowed_scopes("write");
    c.set_refresh_grace_seconds(grace);
    auto auth = oauthd_->CreateClient(c);
    EXPECT_TRUE(auth.ok()) << auth.status();
    return *auth;
  }

  grpc::Status Issue(const oauth::v1::IssueTokenRequest& r, oauth::v1::TokenResponse* out) {
    return oauthd_->tokens().IssueToken(oauthd_->Context().get(), r, out);
  }

  grpc::Status Refresh(const oauth::v1::ClientAuthentication& c, const std::string& rt,
                       oauth::v1::TokenResponse* out) {
    oauth::v1::RefreshTokenRequest r;
    *r.mutable_client() = c;
    r.set_refresh_token(rt);
    return oauthd_->tokens().RefreshToken(oauthd_->Context().get(), r, out);
  }

  oauth::v1::IntrospectResponse Introspect(const oauth::v1::ClientAuthentication& c,
                                           const std::string& token) {
    oauth::v1::IntrospectRequest r;
    *r.mutable_client() = c;
    r.set_token(token);
    oauth::v1::IntrospectResponse out;
    grpc::Status s = oauthd_->tokens().Introspect(oauthd_->Context().get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  grpc::Status Revoke(const oauth::v1::ClientAuthentication& c, const std::string& token) {
    oauth::v1::RevokeRequest r;
    *r.mutable_client() = c;
    r.set_token(token);
    oauth::v1::RevokeResponse out;
    return oauthd_->tokens().Revoke(oauthd_->Context().get(), r, &out);
  }

  std::string Code(const oauth::v1::ClientAuthentication& c) {
    oauth::v1::AuthorizeRequest r;
    r.set_client_id(c.client_id());
    r.set_response_type("code");
    r.set_redirect_uri("https://app.test/cb");
    r.set_scope("read");
    r.set_state("s1");
    r.set_code_challenge(PkceS256(kVerifier));
    r.set_code_challenge_method("S256");
    r.mutable_login()->set_username("alice");
    r.mutable_login()->set_password("wonderland");
    oauth::v1::AuthorizeResponse out;
    grpc::Status s = oauthd_->tokens().Authorize(oauthd_->Context().get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(out.state(), "s1");
    EXPECT_EQ(out.iss(), "https://issuer.test");
    return out.code();
  }

  oauth::v1::IssueTokenRequest CodeRequest(const oauth::v1::ClientAuthentication& c,
                                           const std::string& code) {
    oauth::v1::IssueTokenRequest r;
    *r.mutable_client() = c;
    r.mutable_authorization_code()->set_code(code);
    r.mutable_authorization_code()->set_redirect_uri("https://app.test/cb");
    r.mutable_authorization_code()->set_code_verifier(kVerifier);
    return r;
  }

  static OauthdProcess* oauthd_;
};

OauthdProcess* FlowTest::oauthd_ = nullptr;

TEST_F(FlowTest, ClientCredentialsIntrospectRevoke) {
  auto client = NewClient({"client_credentials"});
  oauth::v1::IssueTokenRequest r;
  *r.mutable_client() = client;
  r.mutable_client_credentials()->set_scope("read");
  oauth::v1::TokenResponse token;
  ASSERT_TRUE(Issue(r, &token).ok());
  EXPECT_TRUE(Introspect(client, token.access_token()).active());
  EXPECT_TRUE(Revoke(client, token.access_token()).ok());
  EXPECT_FALSE(Introspect(client, token.access_token()).active());
  EXPECT_TRUE(Revoke(client, "never-issued").ok());
  EXPECT_FALSE(Introspect(client, "garbage").active());
}

TEST_F(FlowTest, ErrorsAreTypedInStatusDetails) {
  auto client = NewClient({"client_credentials"});
  oauth::v1::IssueTokenRequest r;
  *r.mutable_client() = client;
  r.mutable_client_credentials()->set_scope("admin");
  oauth::v1::TokenResponse token;
  grpc::Status s = Issue(r, &token);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(OAuthErrorOf(s).error(), "invalid_scope");
  r.mutable_client()->set_client_secret("wrong");
  s = Issue(r, &token);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(OAuthErrorOf(s).error(), "invalid_client");
  r.mutable_client()->set_client_secret(client.client_secret());
  r.set_other_grant_type("urn:example:unknown");
  s = Issue(r, &token);
  EXPECT_EQ(OAuthErrorOf(s).error(), "unsupported_grant_type");
  auto pw_only = NewClient({"password"});
  r.Clear();
  *r.mutable_client() = pw_only;
  r.mutable_client_credentials();
  s = Issue(r, &token);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(OAuthErrorOf(s).error(), "unauthorized_client");
}

TEST_F(FlowTest, AdminRequiresToken) {
  oauth::admin::v1::ListClientsRequest r;
  oauth::admin::v1::ListClientsResponse out;
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer wrong-token");
  grpc::Status s = oauthd_->admin().ListClients(&ctx, r, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  auto ok = oauthd_->admin().ListClients(oauthd_->Context(true).get(), r, &out);
  EXPECT_TRUE(ok.ok());
}

TEST_F(FlowTest, PasswordThenRefreshRotationAndReuse) {
  auto client = NewClient({"password", "refresh_token"});
  oauth::v1::IssueTokenRequest r;
  *r.mutable_client() = client;
  r.mutable_password()->set_username("alice");
  r.mutable_password()->set_password("wonderland");
  oauth::v1::TokenResponse first, second, third, reuse;
  ASSERT_TRUE(Issue(r, &first).ok());
  ASSERT_FALSE(first.refresh_token().empty());
  ASSERT_TRUE(Refresh(client, first.refresh_token(), &second).ok());
  EXPECT_NE(second.refresh_token(), first.refresh_token());
  ASSERT_TRUE(Refresh(client, second.refresh_token(), &third).ok());
  // The first token again, its successor used: reuse (not a retry).
  grpc::Status s = Refresh(client, first.refresh_token(), &reuse);
  EXPECT_EQ(OAuthErrorOf(s).error(), "invalid_grant");
  // The family is gone: the newest token no longer works either.
  s = Refresh(client, third.refresh_token(), &reuse);
  EXPECT_EQ(OAuthErrorOf(s).error(), "invalid_grant");
  r.mutable_password()->set_password("wrong");
  s = Issue(r, &reuse);
  EXPECT_EQ(OAuthErrorOf(s).error(), "invalid_grant");
}

TEST_F(FlowTest, AuthorizationCodeWithPkceIsSingleUse) {
  auto client = NewClient({"authorization_code", "refresh_token"});
  const std::string code = Code(client);
  auto bad = CodeRequest(client, code);
  bad.mutable_authorization_code()->set_code_verifier(std::string(43, 'x'));
  oauth::v1::TokenResponse token;
  EXPECT_EQ(OAuthErrorOf(Issue(bad, &token)).error(), "invalid_grant");
  ASSERT_TRUE(Issue(CodeRequest(client, code), &token).ok());
  EXPECT_TRUE(Introspect(client, token.access_token()).active());
  oauth::v1::TokenResponse again;
  EXPECT_EQ(OAuthErrorOf(Issue(CodeRequest(client, code), &again)).error(), "invalid_grant");
  // Replay revoked what the first redemption issued.
  EXPECT_FALSE(Introspect(client, token.access_token()).active());
  EXPECT_FALSE(Introspect(client, token.refresh_token()).active());
}

TEST_F(FlowTest, CodeExpiresAfterItsTtl) {
  auto client = NewClient({"authorization_code"});
  const std::string code = Code(client);
  std::this_thread::sleep_for(std::chrono::milliseconds(3100));  // --code_ttl=2s
  oauth::v1::TokenResponse token;
  EXPECT_EQ(OAuthErrorOf(Issue(CodeRequest(client, code), &token)).error(), "invalid_grant");
}

TEST_F(FlowTest, StoredStateHoldsNoTokenInClear) {
  auto client = NewClient({"authorization_code", "refresh_token"}, /*grace=*/30);
  const std::string code = Code(client);
  oauth::v1::TokenResponse token, next;
  ASSERT_TRUE(Issue(CodeRequest(client, code), &token).ok());
  ASSERT_TRUE(Refresh(client, token.refresh_token(), &next).ok());
  auto keys = oauthd_->redis().Command({"KEYS", "*"});
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->find(code), std::string::npos);
  auto dump = oauthd_->redis().Command({"EVAL",
      "local out = '' for _, k in ipairs(redis.call('KEYS', '*')) do "
      "local t = redis.call('TYPE', k).ok "
      "if t == 'string' then out = out .. redis.call('GET', k) "
      "elseif t == 'hash' then out = out .. table.concat(redis.call('HGETALL', k), ' ') end "
      "end return out", "0"});
  ASSERT_TRUE(dump.ok()) << dump.status();
  for (const std::string& secret : {code, token.refresh_token(), next.refresh_token(),
                                    client.client_secret()}) {
    EXPECT_EQ(dump->find(secret), std::string::npos);
    EXPECT_EQ(keys->find(secret), std::string::npos);
  }
}

TEST_F(FlowTest, RestartKeepsTokensAndRevocations) {
  auto client = NewClient({"client_credentials"});
  oauth::v1::IssueTokenRequest r;
  *r.mutable_client() = client;
  r.mutable_client_credentials();
  oauth::v1::TokenResponse kept, revoked;
  ASSERT_TRUE(Issue(r, &kept).ok());
  ASSERT_TRUE(Issue(r, &revoked).ok());
  ASSERT_TRUE(Revoke(client, revoked.access_token()).ok());
  ASSERT_TRUE(oauthd_->Restart().ok()) << oauthd_->output();
  EXPECT_TRUE(Introspect(client, kept.access_token()).active());
  EXPECT_FALSE(Introspect(client, revoked.access_token()).active());
}

}  // namespace
}  // namespace oauthd::testing
