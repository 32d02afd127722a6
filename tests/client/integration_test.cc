// TokenSource and Verifier against a real oauthd (and Redis).

#include <grpcpp/create_channel.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "client/lib/authorization_server.h"
#include "client/lib/token_source.h"
#include "client/lib/verifier.h"
#include "server/jose/jwks.h"
#include "server/jose/key_generation.h"
#include "server/jose/signing_key.h"
#include "tests/client/test_util.h"
#include "tests/integration/oauthd_process.h"
#include "tests/support/child_process.h"

namespace oauthd::client {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::FakeClock;

// Forwards to oauthd and counts IssueToken calls.
class CountingServer final : public AuthorizationServer {
 public:
  explicit CountingServer(std::shared_ptr<AuthorizationServer> real) : real_(std::move(real)) {}
  absl::StatusOr<oauth::v1::TokenResponse> IssueToken(
      const oauth::v1::IssueTokenRequest& request) override {
    ++issue_calls;
    return real_->IssueToken(request);
  }
  absl::StatusOr<oauth::v1::GetJwksResponse> GetJwks() override { return real_->GetJwks(); }
  absl::StatusOr<oauth::v1::IntrospectResponse> Introspect(
      const oauth::v1::IntrospectRequest& request) override {
    return real_->Introspect(request);
  }
  std::atomic<int> issue_calls{0};

 private:
  std::shared_ptr<AuthorizationServer> real_;
};

class ClientIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto process = oauthd::testing::OauthdProcess::Start();
    ASSERT_TRUE(process.ok()) << process.status();
    oauthd_ = process->release();
  }
  static void TearDownTestSuite() {
    delete oauthd_;
    oauthd_ = nullptr;
  }

  void SetUp() override { ASSERT_NE(oauthd_, nullptr); }

  std::shared_ptr<AuthorizationServer> Server() {
    GrpcAuthorizationServerOptions options;
    options.timeout = absl::Seconds(10);
    options.wait_for_ready = true;
    return NewGrpcAuthorizationServer(
        grpc::CreateChannel(oauthd_->address(), grpc::InsecureChannelCredentials()), options);
  }

  // A confidential client_credentials client.
  oauth::v1::ClientAuthentication NewClient(std::vector<std::string> audiences,
                                            std::vector<std::string> scopes = {"inventory.read",
                                                                               "inventory.write"}) {
    oauth::admin::v1::Client client;
    client.set_client_name("client library test");
    client.add_grant_types("client_credentials");
    for (const std::string& s : scopes) client.add_allowed_scopes(s);
    for (const std::string& a : audiences) client.add_audiences(a);
    absl::StatusOr<oauth::v1::ClientAuthentication> created = oauthd_->CreateClient(client);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? *created : oauth::v1::ClientAuthentication();
  }

  std::shared_ptr<TokenSource> Tokens(const oauth::v1::ClientAuthentication& client,
                                      std::shared_ptr<AuthorizationServer> server = nullptr) {
    TokenSourceOptions options;
    options.client_id = client.client_id();
    options.client_secret = client.client_secret();
    options.scope = "inventory.read";
    auto source = TokenSource::Create(server ? server : Server(), options);
    EXPECT_TRUE(source.ok()) << source.status();
    return *source;
  }

  std::shared_ptr<Verifier> MakeVerifier(VerifierOptions options = {}) {
    options.issuer = "https://issuer.test";
    options.audience = "inventory";
    auto verifier = Verifier::Create(Server(), std::move(options));
    EXPECT_TRUE(verifier.ok()) << verifier.status();
    return *verifier;
  }

  std::string TokenFor(const oauth::v1::ClientAuthentication& client) {
    absl::StatusOr<Token> token = Tokens(client)->GetToken();
    EXPECT_TRUE(token.ok()) << token.status();
    return token.ok() ? token->access_token : "";
  }

  static oauthd::testing::OauthdProcess* oauthd_;
};

oauthd::testing::OauthdProcess* ClientIntegrationTest::oauthd_ = nullptr;

TEST_F(ClientIntegrationTest, TokenFromTokenSourceVerifies) {
  const auto client = NewClient({"inventory"});
  auto tokens = Tokens(client);
  absl::StatusOr<Token> token = tokens->GetToken();
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(token->scope, "inventory.read");
  EXPECT_GT(token->expiry, absl::Now());

  auto verifier = MakeVerifier();
  VerifyResult result = verifier->Verify(token->access_token, {"inventory.read"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->client_id, client.client_id());
  EXPECT_EQ(result->issuer, "https://issuer.test");
  EXPECT_THAT(result->audience, ElementsAre("inventory"));
  EXPECT_THAT(result->scopes, ElementsAre("inventory.read"));
  EXPECT_FALSE(result->token_id.empty());
  // The token's lifetime as oauthd states it and as the TokenSource computed it agree.
  EXPECT_EQ(result->expires_at - result->issued_at, absl::Minutes(10));
  EXPECT_EQ(verifier->stats().jwks_fetches, 1);

  VerifyResult scope = verifier->Verify(token->access_token, {"inventory.write"});
  ASSERT_FALSE(scope.ok());
  EXPECT_EQ(scope.error().code, VerifyErrorCode::kInsufficientScope);
}

TEST_F(ClientIntegrationTest, HundredThreadsCauseOneIssueTokenCall) {
  const auto client = NewClient({"inventory"});
  auto counting = std::make_shared<CountingServer>(Server());
  auto tokens = Tokens(client, counting);
  std::vector<std::string> got(100);
  std::vector<std::thread> threads;
  for (int i = 0; i < 100; ++i) {
    threads.emplace_back([&, i] {
      absl::StatusOr<Token> token = tokens->GetToken();
      if (token.ok()) got[i] = token->access_token;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(counting->issue_calls, 1);
  EXPECT_EQ(tokens->stats().fetches, 1);
  for (const std::string& token : got) EXPECT_EQ(token, got[0]);
  EXPECT_TRUE(MakeVerifier()->Verify(got[0]).ok());
}

TEST_F(ClientIntegrationTest, WrongAudienceIsRejected) {
  const std::string token = TokenFor(NewClient({"billing"}));
  VerifyResult result = MakeVerifier()->Verify(token);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, VerifyErrorCode::kWrongAudience);
}

TEST_F(ClientIntegrationTest, ExpiredTokenIsRejected) {
  const std::string token = TokenFor(NewClient({"inventory"}));
  FakeClock clock(absl::Now() + absl::Minutes(10) + absl::Seconds(31));
  VerifierOptions options;
  options.clock = clock.AsClock();
  VerifyResult result = MakeVerifier(options)->Verify(token);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, VerifyErrorCode::kExpired);
}

TEST_F(ClientIntegrationTest, RevokedTokenIsRejectedInOnlineMode) {
  const auto client = NewClient({"inventory"});
  // Introspection tells only entitled callers (RFC 7662 §4): this resource
  // server is not named "inventory", so it is allowed to introspect anything.
  oauth::admin::v1::Client rs;
  rs.add_grant_types("client_credentials");
  rs.set_introspect_any_token(true);
  const auto resource_server = *oauthd_->CreateClient(rs);
  const std::string token = TokenFor(client);

  FakeClock clock(absl::Now());
  VerifierOptions online;
  online.online = true;
  online.introspection_client_id = resource_server.client_id();
  online.introspection_client_secret = resource_server.client_secret();
  online.clock = clock.AsClock();
  auto online_verifier = MakeVerifier(online);
  auto offline_verifier = MakeVerifier();
  ASSERT_TRUE(online_verifier->Verify(token).ok());
  ASSERT_TRUE(offline_verifier->Verify(token).ok());

  oauth::v1::RevokeRequest revoke;
  *revoke.mutable_client() = client;
  revoke.set_token(token);
  oauth::v1::RevokeResponse revoked;
  grpc::Status status = oauthd_->tokens().Revoke(oauthd_->Context().get(), revoke, &revoked);
  ASSERT_TRUE(status.ok()) << status.error_message();

  clock.Advance(online.introspection_cache_ttl);  // the cached "active" answer lapses
  VerifyResult result = online_verifier->Verify(token);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, VerifyErrorCode::kInactive);
  EXPECT_EQ(online_verifier->stats().introspections, 2);
  // Local verification alone cannot see revocation (by design).
  EXPECT_TRUE(offline_verifier->Verify(token).ok());
}

// The revocation feed: the Verifier follows oauthd's WatchRevocations stream
// and refuses revoked tokens locally, without a call per token.
TEST_F(ClientIntegrationTest, RevocationFeedRefusesRevokedTokensWithinASecond) {
  oauth::admin::v1::Client rs;
  rs.add_grant_types("client_credentials");
  rs.set_introspect_any_token(true);
  const auto resource_server = *oauthd_->CreateClient(rs);
  VerifierOptions options;
  options.revocation_feed = true;
  options.introspection_client_id = resource_server.client_id();
  options.introspection_client_secret = resource_server.client_secret();
  auto verifier = MakeVerifier(options);

  const auto client = NewClient({"inventory"});
  const auto bystander = NewClient({"inventory"});
  const std::string other_token = TokenFor(bystander);
  std::vector<absl::Duration> delays;
  for (int i = 0; i < 10; ++i) {
    // A new token source each round: a new token to revoke.
    absl::StatusOr<Token> fresh = Tokens(client)->GetToken();
    ASSERT_TRUE(fresh.ok()) << fresh.status();
    const std::string token = fresh->access_token;
    // Allowed once the feed is synchronised (at most a few seconds at start).
    const absl::Time start = absl::Now();
    while (!verifier->Verify(token).ok()) {
      ASSERT_LT(absl::Now() - start, absl::Seconds(10)) << verifier->Verify(token).status();
      absl::SleepFor(absl::Milliseconds(20));
    }
    oauth::v1::RevokeRequest revoke;
    *revoke.mutable_client() = client;
    revoke.set_token(token);
    oauth::v1::RevokeResponse revoked;
    ASSERT_TRUE(oauthd_->tokens().Revoke(oauthd_->Context().get(), revoke, &revoked).ok());
    const absl::Time at = absl::Now();
    VerifyResult result = verifier->Verify(token);
    while (result.ok()) {
      ASSERT_LT(absl::Now() - at, absl::Seconds(5)) << "the feed never delivered the revocation";
      absl::SleepFor(absl::Microseconds(200));
      result = verifier->Verify(token);
    }
    delays.push_back(absl::Now() - at);
    EXPECT_EQ(result.error().code, VerifyErrorCode::kInactive);
  }
  std::sort(delays.begin(), delays.end());
  std::printf("[revocation-feed] a Verifier refused a revoked token after p50 %s, max %s\n",
              absl::FormatDuration(delays[delays.size() / 2]).c_str(),
              absl::FormatDuration(delays.back()).c_str());
  EXPECT_TRUE(verifier->Verify(other_token).ok());  // nothing else moved
  EXPECT_EQ(verifier->stats().introspections, 0);    // no call per token
}

TEST_F(ClientIntegrationTest, RevocationFeedFailsClosedForAClientNotAllowedToWatch) {
  const auto ordinary = NewClient({"inventory"});  // no introspect_any_token
  VerifierOptions options;
  options.revocation_feed = true;
  options.introspection_client_id = ordinary.client_id();
  options.introspection_client_secret = ordinary.client_secret();
  auto verifier = MakeVerifier(options);
  const std::string token = TokenFor(NewClient({"inventory"}));
  absl::SleepFor(absl::Milliseconds(600));
  VerifyResult result = verifier->Verify(token);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, VerifyErrorCode::kUnavailable);

  VerifierOptions no_credentials;
  no_credentials.issuer = "https://issuer.test";
  no_credentials.audience = "inventory";
  no_credentials.revocation_feed = true;
  EXPECT_FALSE(Verifier::Create(Server(), no_credentials).ok());
}

TEST_F(ClientIntegrationTest, BadCredentialsGiveTypedOAuthError) {
  auto client = NewClient({"inventory"});
  client.set_client_secret("wrong");
  absl::StatusOr<Token> token = Tokens(client)->GetToken();
  ASSERT_FALSE(token.ok());
  EXPECT_TRUE(absl::IsUnauthenticated(token.status())) << token.status();
  std::optional<oauth::v1::OAuthError> error = OAuthErrorOf(token.status());
  ASSERT_TRUE(error.has_value()) << token.status();
  EXPECT_EQ(error->error(), "invalid_client");
  EXPECT_THAT(std::string(token.status().message()), HasSubstr("invalid_client"));
}

TEST_F(ClientIntegrationTest, TokenSourceAuthenticatesWithAPrivateKey) {
  // A private_key_jwt client (RFC 7523): only its public key is registered.
  const std::string key_file = absl::StrCat(::testing::TempDir(), "/token_source_client_key.pem");
  absl::StatusOr<std::string> pem = jose::GeneratePrivateKeyPem(jose::Algorithm::kEdDsa);
  ASSERT_TRUE(pem.ok());
  std::ofstream(key_file) << *pem;
  absl::StatusOr<jose::SigningKey> key = jose::SigningKey::FromPem(*pem);
  ASSERT_TRUE(key.ok());
  oauth::admin::v1::Client client;
  client.set_client_name("key client");
  client.add_grant_types("client_credentials");
  client.add_allowed_scopes("inventory.read");
  client.add_audiences("inventory");
  client.set_token_endpoint_auth_method("private_key_jwt");
  client.set_jwks(jose::RenderJwks({key->public_jwk()}));
  absl::StatusOr<oauth::v1::ClientAuthentication> created = oauthd_->CreateClient(client);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->client_secret(), "");

  TokenSourceOptions options;
  options.client_id = created->client_id();
  options.private_key_file = key_file;
  options.issuer = "https://issuer.test";
  options.scope = "inventory.read";
  auto tokens = TokenSource::Create(Server(), options);
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  absl::StatusOr<Token> token = (*tokens)->GetToken();
  ASSERT_TRUE(token.ok()) << token.status();
  VerifyResult result = MakeVerifier()->Verify(token->access_token, {"inventory.read"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->client_id, created->client_id());
  // A second fetch sends a new assertion (a new jti): accepted too.
  (*tokens)->Invalidate(token->access_token);
  ASSERT_TRUE((*tokens)->GetToken().ok());

  // The assertion's audience must be this issuer.
  options.issuer = "https://other.test";
  absl::StatusOr<Token> wrong = (*TokenSource::Create(Server(), options))->GetToken();
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(OAuthErrorOf(wrong.status())->error(), "invalid_client");
  // Key and secret together, or a key file that is not one, are refused up front.
  options.client_secret = "s";
  EXPECT_TRUE(absl::IsInvalidArgument(TokenSource::Create(Server(), options).status()));
  options.client_secret.clear();
  options.private_key_file = "/nonexistent/key.pem";
  EXPECT_TRUE(absl::IsInvalidArgument(TokenSource::Create(Server(), options).status()));
}

TEST_F(ClientIntegrationTest, UnreachableServerMeansUnavailable) {
  absl::StatusOr<int> port = test_support::PickUnusedTcpPort();
  ASSERT_TRUE(port.ok());
  GrpcAuthorizationServerOptions server_options;
  server_options.timeout = absl::Seconds(2);
  auto nowhere = NewGrpcAuthorizationServer(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", *port), grpc::InsecureChannelCredentials()),
      server_options);
  VerifierOptions options;
  options.issuer = "https://issuer.test";
  options.audience = "inventory";
  auto verifier = *Verifier::Create(nowhere, options);
  VerifyResult result = verifier->Verify(TokenFor(NewClient({"inventory"})));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, VerifyErrorCode::kUnavailable);
  EXPECT_TRUE(absl::IsUnavailable(result.status()));

  TokenSourceOptions token_options;
  token_options.client_id = "x";
  absl::StatusOr<Token> token = (*TokenSource::Create(nowhere, token_options))->GetToken();
  EXPECT_TRUE(absl::IsUnavailable(token.status())) << token.status();
}

}  // namespace
}  // namespace oauthd::client
