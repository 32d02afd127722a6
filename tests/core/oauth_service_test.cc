// Table-style tests of every grant, introspection and revocation on the
// memory store with a fake clock (the same cases run against Redis in
// tests/integration).

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/core/pkce.h"
#include "tests/core/service_fixture.h"

namespace oauthd::testing {
namespace {

using oauth::v1::IssueTokenRequest;

constexpr char kVerifier[] = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
constexpr char kChallenge[] = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

class OAuthServiceTest : public ServiceTest {
 protected:
  absl::StatusOr<oauth::v1::TokenResponse> ClientCredentials(
      const oauth::v1::ClientAuthentication& auth, const std::string& scope = "") {
    IssueTokenRequest r;
    *r.mutable_client() = auth;
    r.mutable_client_credentials()->set_scope(scope);
    return service_->IssueToken(r);
  }

  absl::StatusOr<oauth::v1::TokenResponse> Password(
      const oauth::v1::ClientAuthentication& auth, const std::string& user,
      const std::string& password, const std::string& scope = "",
      const std::string& from = "198.51.100.1") {
    IssueTokenRequest r;
    *r.mutable_client() = auth;
    r.mutable_password()->set_username(user);
    r.mutable_password()->set_password(password);
    r.mutable_password()->set_scope(scope);
    RequestContext context;
    context.source_address = from;
    return service_->IssueToken(r, context);
  }

  static bool Throttled(const absl::StatusOr<oauth::v1::TokenResponse>& r) {
    return !r.ok() &&
           ToOAuthError(r.status()).error_description().find("too many") != std::string::npos;
  }

  absl::StatusOr<oauth::v1::TokenResponse> Refresh(
      const oauth::v1::ClientAuthentication& auth, const std::string& token,
      const std::string& scope = "") {
    oauth::v1::RefreshTokenRequest r;
    *r.mutable_client() = auth;
    r.set_refresh_token(token);
    r.set_scope(scope);
    return service_->RefreshToken(r);
  }

  oauth::v1::IntrospectResponse Introspect(const oauth::v1::ClientAuthentication& auth,
                                           const std::string& token) {
    oauth::v1::IntrospectRequest r;
    *r.mutable_client() = auth;
    r.set_token(token);
    auto out = service_->Introspect(r);
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? *out : oauth::v1::IntrospectResponse();
  }

  absl::Status Revoke(const oauth::v1::ClientAuthentication& auth, const std::string& token) {
    oauth::v1::RevokeRequest r;
    *r.mutable_client() = auth;
    r.set_token(token);
    return service_->Revoke(r).status();
  }

  oauth::v1::AuthorizeRequest AuthorizeRequest(const std::string& client_id) {
    oauth::v1::AuthorizeRequest r;
    r.set_client_id(client_id);
    r.set_response_type("code");
    r.set_redirect_uri("https://app.test/cb");
    r.set_scope("read write");
    r.set_state("xyz");
    r.set_code_challenge(kChallenge);
    r.set_code_challenge_method("S256");
    return r;
  }

  // Runs Authorize with a login and returns the code.
  std::string GetCode(const std::string& client_id) {
    auto r = AuthorizeRequest(client_id);
    r.mutable_login()->set_username("alice");
    r.mutable_login()->set_password("wonderland");
    auto out = service_->Authorize(r);
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? out->code() : "";
  }

  absl::StatusOr<oauth::v1::TokenResponse> Redeem(const oauth::v1::ClientAuthentication& auth,
                                                  const std::string& code,
                                                  const std::string& verifier = kVerifier,
                                                  const std::string& redirect =
                                                      "https://app.test/cb") {
    IssueTokenRequest r;
    *r.mutable_client() = auth;
    r.mutable_authorization_code()->set_code(code);
    r.mutable_authorization_code()->set_code_verifier(verifier);
    r.mutable_authorization_code()->set_redirect_uri(redirect);
    return service_->IssueToken(r);
  }
};

// ---- client_credentials ----------------------------------------------------

TEST_F(OAuthServiceTest, ClientCredentialsIssuesVerifiableToken) {
  auto client = AddConfidential({"client_credentials"});
  auto token = ClientCredentials(client, "write");
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(token->token_type(), "Bearer");
  EXPECT_EQ(token->expires_in(), 600);
  EXPECT_EQ(token->scope(), "write");
  EXPECT_TRUE(token->refresh_token().empty());
  auto info = Introspect(client, token->access_token());
  EXPECT_TRUE(info.active());
  EXPECT_EQ(info.client_id(), client.client_id());
  EXPECT_EQ(info.sub(), client.client_id());
  EXPECT_EQ(info.iss(), "https://issuer.test");
  EXPECT_EQ(info.exp() - info.iat(), 600);
  EXPECT_EQ(info.token_type(), "Bearer");
}

TEST_F(OAuthServiceTest, ClientCredentialsDefaultScope) {
  auto client = AddConfidential({"client_credentials"});
  EXPECT_EQ(ClientCredentials(client)->scope(), "read");
}

TEST_F(OAuthServiceTest, ClientAuthenticationErrors) {
  auto client = AddConfidential({"client_credentials"});
  auto wrong = client;
  wrong.set_client_secret("not-the-secret");
  EXPECT_EQ(ErrorOf(ClientCredentials(wrong).status()), "invalid_client");
  auto unknown = client;
  unknown.set_client_id("nobody");
  EXPECT_EQ(ErrorOf(ClientCredentials(unknown).status()), "invalid_client");
  // Same description for both: no client enumeration.
  EXPECT_EQ(ToOAuthError(ClientCredentials(wrong).status()).error_description(),
            ToOAuthError(ClientCredentials(unknown).status()).error_description());
  auto missing = client;
  missing.clear_client_id();
  EXPECT_EQ(ErrorOf(ClientCredentials(missing).status()), "invalid_client");
  auto huge = client;
  huge.set_client_secret(std::string(10000, 'a'));
  EXPECT_EQ(ErrorOf(ClientCredentials(huge).status()), "invalid_request");
  auto assertion = client;
  assertion.set_client_assertion("x");
  EXPECT_EQ(ErrorOf(ClientCredentials(assertion).status()), "invalid_request");
}

TEST_F(OAuthServiceTest, GrantErrors) {
  auto client = AddConfidential({"password"});
  EXPECT_EQ(ErrorOf(ClientCredentials(client).status()), "unauthorized_client");
  auto cc = AddConfidential({"client_credentials"});
  EXPECT_EQ(ErrorOf(ClientCredentials(cc, "admin").status()), "invalid_scope");
  EXPECT_EQ(ErrorOf(ClientCredentials(cc, "read  write").status()), "invalid_scope");
  IssueTokenRequest none;
  *none.mutable_client() = cc;
  EXPECT_EQ(ErrorOf(service_->IssueToken(none).status()), "invalid_request");
  IssueTokenRequest other;
  *other.mutable_client() = cc;
  other.set_other_grant_type("urn:ietf:params:oauth:grant-type:jwt-bearer");
  EXPECT_EQ(ErrorOf(service_->IssueToken(other).status()), "unsupported_grant_type");
  IssueTokenRequest target;
  *target.mutable_client() = cc;
  target.mutable_client_credentials();
  target.add_resource("https://elsewhere.test");
  EXPECT_EQ(ErrorOf(service_->IssueToken(target).status()), "invalid_target");
}

TEST_F(OAuthServiceTest, ResourceSelectsAudience) {
  oauth::admin::v1::Client c;
  c.add_grant_types("client_credentials");
  c.add_audiences("https://api-a.test");
  c.add_audiences("https://api-b.test");
  auto client = AddClient(c);
  IssueTokenRequest r;
  *r.mutable_client() = client;
  r.mutable_client_credentials();
  auto def = service_->IssueToken(r);
  ASSERT_TRUE(def.ok());
  EXPECT_EQ(Introspect(client, def->access_token()).aud(0), "https://api-a.test");
  r.add_resource("https://api-b.test");
  auto b = service_->IssueToken(r);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(Introspect(client, b->access_token()).aud(0), "https://api-b.test");
}

// ---- introspection and revocation of access tokens ---------------------------

TEST_F(OAuthServiceTest, IntrospectInactiveForBadTokens) {
  auto client = AddConfidential({"client_credentials"});
  auto token = ClientCredentials(client);
  ASSERT_TRUE(token.ok());
  const std::string& at = token->access_token();
  std::vector<std::string> parts = absl::StrSplit(at, '.');
  std::string header_none;
  absl::WebSafeBase64Escape(R"({"alg":"none","typ":"at+jwt"})", &header_none);
  std::string tampered_payload = parts[1];
  tampered_payload[5] = tampered_payload[5] == 'A' ? 'B' : 'A';
  for (const std::string& bad :
       {std::string("garbage"), std::string("a.b.c"), at + "x",
        parts[0] + "." + tampered_payload + "." + parts[2],
        header_none + "." + parts[1] + ".", std::string(9000, 'a')}) {
    EXPECT_FALSE(Introspect(client, bad).active()) << bad.substr(0, 40);
  }
  Advance(absl::Seconds(601));
  EXPECT_FALSE(Introspect(client, at).active());
}

TEST_F(OAuthServiceTest, IntrospectRejectsForeignIssuerAndUnknownKid) {
  auto client = AddConfidential({"client_credentials"});
  // Another issuer with its own key: its tokens are not ours.
  auto pem = jose::GeneratePrivateKeyPem(jose::Algorithm::kEs256);
  auto key = jose::SigningKey::FromPem(*pem);
  TokenIssuer foreign("https://other.test",
                      {std::make_shared<const jose::SigningKey>(*std::move(key))},
                      [this] { return absl::FromUnixSeconds(now_.load()); });
  Authorization authz;
  authz.client_id = client.client_id();
  authz.subject = client.client_id();
  authz.scopes = {"read"};
  authz.audiences = {client.client_id()};
  auto minted = foreign.Mint(authz, absl::Minutes(5));
  ASSERT_TRUE(minted.ok());
  EXPECT_FALSE(Introspect(client, minted->token).active());
}

TEST_F(OAuthServiceTest, IntrospectRequiresAuthenticatedConfidentialClient) {
  auto client = AddConfidential({"client_credentials"});
  auto token = ClientCredentials(client);
  oauth::v1::IntrospectRequest r;
  r.mutable_client()->set_client_id(client.client_id());
  r.set_token(token->access_token());
  EXPECT_EQ(ErrorOf(service_->Introspect(r).status()), "invalid_client");
  *r.mutable_client() = client;
  r.clear_token();
  EXPECT_EQ(ErrorOf(service_->Introspect(r).status()), "invalid_request");
}

TEST_F(OAuthServiceTest, RevokeAccessToken) {
  auto client = AddConfidential({"client_credentials"});
  auto other = AddConfidential({"client_credentials"});
  auto token = ClientCredentials(client);
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(ErrorOf(Revoke(other, token->access_token())), "unauthorized_client");
  EXPECT_TRUE(Introspect(client, token->access_token()).active());
  EXPECT_TRUE(Revoke(client, token->access_token()).ok());
  EXPECT_FALSE(Introspect(client, token->access_token()).active());
  EXPECT_TRUE(Revoke(client, "unknown-token").ok());  // RFC 7009 §2.2
  EXPECT_TRUE(Revoke(client, token->access_token()).ok());
  EXPECT_EQ(ErrorOf(Revoke(client, "")), "invalid_request");
}

// ---- password grant ----------------------------------------------------------

TEST_F(OAuthServiceTest, PasswordGrantIssuesAccessAndRefresh) {
  const std::string sub = AddUser("alice", "wonderland");
  auto client = AddConfidential({"password", "refresh_token"});
  auto token = Password(client, "alice", "wonderland", "read write");
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_FALSE(token->refresh_token().empty());
  auto info = Introspect(client, token->access_token());
  EXPECT_EQ(info.sub(), sub);
  EXPECT_NE(info.sub(), "alice");
  EXPECT_EQ(info.username(), "alice");
  EXPECT_EQ(info.scope(), "read write");
  auto rt = Introspect(client, token->refresh_token());
  EXPECT_TRUE(rt.active());
  EXPECT_EQ(rt.token_type(), "refresh_token");
  // Without the refresh_token grant: no refresh token.
  auto plain = AddConfidential({"password"});
  EXPECT_TRUE(Password(plain, "alice", "wonderland")->refresh_token().empty());
}

TEST_F(OAuthServiceTest, PasswordGrantFailuresLookAlike) {
  AddUser("alice", "wonderland");
  AddUser("bob", "builder-pass");
  ASSERT_TRUE(users_->SetDisabled("bob", true).ok());
  auto client = AddConfidential({"password"});
  auto wrong = Password(client, "alice", "nope");
  auto unknown = Password(client, "mallory", "nope");
  auto disabled = Password(client, "bob", "builder-pass");
  for (const auto* r : {&wrong, &unknown, &disabled}) {
    EXPECT_EQ(ErrorOf(r->status()), "invalid_grant");
    EXPECT_EQ(ToOAuthError(r->status()).error_description(), "invalid username or password");
  }
  EXPECT_EQ(ErrorOf(Password(client, "", "x").status()), "invalid_request");
}

TEST_F(OAuthServiceTest, PasswordGuessesFromOneAddressAreLimitedAndSuccessResets) {
  AddUser("alice", "wonderland");
  auto client = AddConfidential({"password"});
  // Two failures, then success starts the count over.
  EXPECT_FALSE(Password(client, "alice", "x").ok());
  EXPECT_FALSE(Password(client, "alice", "x").ok());
  ASSERT_TRUE(Password(client, "alice", "wonderland").ok());
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(Throttled(Password(client, "alice", "x")));
  // The limit (3 here) is reached from this address: not even the right
  // password is checked from it...
  EXPECT_TRUE(Throttled(Password(client, "alice", "wonderland")));
  // ...while alice, from her own address, is not locked out.
  EXPECT_TRUE(Password(client, "alice", "wonderland", "", "192.0.2.44").ok());
  Advance(config_.failure_window + absl::Seconds(1));
  EXPECT_TRUE(Password(client, "alice", "wonderland").ok());
}

TEST_F(OAuthServiceTest, StrangersGuessingUnknownUsersDoNotStopRealUsers) {
  config_.address_failure_limit = 10;
  AddUser("alice", "wonderland");
  auto client = AddConfidential({"password"});
  // Issue 10: 120 failures with made-up usernames through one client, from
  // other addresses, used to lock every user of the client out.
  for (int i = 0; i < 120; ++i) {
    EXPECT_FALSE(Password(client, absl::StrCat("nobody-", i), "guess", "",
                          absl::StrCat("203.0.113.", i % 12))
                     .ok());
  }
  EXPECT_TRUE(Password(client, "alice", "wonderland", "", "192.0.2.44").ok());
  // Each of those addresses went past its own limit (10 a window).
  EXPECT_TRUE(Throttled(Password(client, "alice", "wonderland", "", "203.0.113.1")));
}

TEST_F(OAuthServiceTest, ParallelGuessesGetNoMoreChecksThanTheLimit) {
  AddUser("alice", "wonderland");
  auto client = AddConfidential({"password"});
  std::atomic<int> checked{0}, throttled{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 40; ++i) {
    threads.emplace_back([&] {
      auto r = Password(client, "alice", "wrong");
      if (Throttled(r)) {
        ++throttled;
      } else if (!r.ok() && ToOAuthError(r.status()).error() == "invalid_grant") {
        ++checked;  // the password was checked and was wrong
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(checked.load(), config_.user_failure_limit);  // counted before checking
  EXPECT_EQ(throttled.load(), 40 - config_.user_failure_limit);
}

TEST_F(OAuthServiceTest, GuessesSpreadOverAddressesMeetTheUserLimit) {
  config_.user_total_failure_limit = 8;
  AddUser("alice", "wonderland");
  auto client = AddConfidential({"password"});
  int checked = 0;
  for (int i = 0; i < 30; ++i) {
    checked += !Throttled(Password(client, "alice", "wrong", "", absl::StrCat("10.0.0.", i)));
  }
  EXPECT_EQ(checked, 8);
}

TEST_F(OAuthServiceTest, SuccessesDoNotUseUpTheAddressLimit) {
  config_.address_failure_limit = 3;
  AddUser("alice", "wonderland");
  auto client = AddConfidential({"password"});
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(Password(client, "alice", "wonderland").ok()) << i;  // an office behind NAT
  }
}

TEST_F(OAuthServiceTest, OperatorsSeeAndClearAUsersThrottle) {
  config_.user_total_failure_limit = 4;
  AddUser("alice", "wonderland");
  auto client = AddConfidential({"password"});
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(Password(client, "alice", "x", "", absl::StrCat("10.1.0.", i)).ok());
  auto user = users_->Get("alice");
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->login_throttle().attempts(), 4);
  EXPECT_EQ(user->login_throttle().limit(), 4);
  EXPECT_TRUE(user->login_throttle().throttled());
  EXPECT_TRUE(Throttled(Password(client, "alice", "wonderland", "", "10.1.0.9")));
  auto unlocked = users_->Unlock("alice");
  ASSERT_TRUE(unlocked.ok()) << unlocked.status();
  EXPECT_FALSE(unlocked->login_throttle().throttled());
  EXPECT_EQ(unlocked->login_throttle().attempts(), 0);
  EXPECT_TRUE(Password(client, "alice", "wonderland", "", "10.1.0.9").ok());
  EXPECT_EQ(users_->Unlock("nobody").status().code(), absl::StatusCode::kNotFound);
  // A new password clears the limits too, per-address counters included.
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(Password(client, "alice", "x", "", "10.2.0.1").ok());
  EXPECT_TRUE(Throttled(Password(client, "alice", "wonderland", "", "10.2.0.1")));
  ASSERT_TRUE(users_->SetPassword("alice", "new-password-1").ok());
  EXPECT_TRUE(Password(client, "alice", "new-password-1", "", "10.2.0.1").ok());
}

TEST_F(OAuthServiceTest, PasswordGrantOnlyForClientsThatAuthenticate) {
  AddUser("alice", "wonderland");
  // RFC 9700 §2.4: a public client may not register for it...
  oauth::admin::v1::CreateClientRequest create;
  create.mutable_client()->set_token_endpoint_auth_method("none");
  create.mutable_client()->add_grant_types("password");
  auto refused = clients_->Create(create);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("public client"), std::string::npos);
  // ...and one stored before the rule cannot use it.
  storage::ClientRecord legacy;
  legacy.mutable_client()->set_client_id("legacy-spa");
  legacy.mutable_client()->set_token_endpoint_auth_method("none");
  legacy.mutable_client()->add_grant_types("password");
  legacy.mutable_client()->add_allowed_scopes("read");
  ASSERT_TRUE(store_->clients().Create(legacy).ok());
  oauth::v1::ClientAuthentication spa;
  spa.set_client_id("legacy-spa");
  EXPECT_EQ(ErrorOf(Password(spa, "alice", "wonderland").status()), "unauthorized_client");
}

TEST_F(OAuthServiceTest, PasswordGrantCanBeTurnedOff) {
  AddUser("alice", "wonderland");
  auto client = AddConfidential({"password", "client_credentials"});
  auto has_password = [this] {
    const auto types = service_->GetServerMetadata().grant_types_supported();
    return std::find(types.begin(), types.end(), "password") != types.end();
  };
  EXPECT_TRUE(has_password());
  config_.password_grant = false;
  EXPECT_FALSE(has_password());
  EXPECT_EQ(ErrorOf(Password(client, "alice", "wonderland").status()), "unsupported_grant_type");
  oauth::admin::v1::CreateClientRequest create;
  create.mutable_client()->add_grant_types("password");
  EXPECT_EQ(clients_->Create(create).status().code(), absl::StatusCode::kInvalidArgument);
  // The client's other grants are untouched.
  oauth::v1::IssueTokenRequest cc;
  *cc.mutable_client() = client;
  cc.mutable_client_credentials();
  EXPECT_TRUE(service_->IssueToken(cc).ok());
}

// ---- authorization code + PKCE -----------------------------------------------

TEST_F(OAuthServiceTest, AuthorizeValidatesWithoutLogin) {
  auto client = AddConfidential({"authorization_code"});
  auto out = service_->Authorize(AuthorizeRequest(client.client_id()));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE(out->code().empty());
  EXPECT_EQ(out->redirect_uri(), "https://app.test/cb");
  EXPECT_EQ(out->state(), "xyz");
  EXPECT_EQ(out->iss(), "https://issuer.test");
  EXPECT_EQ(out->scopes_size(), 2);
}

TEST_F(OAuthServiceTest, AuthorizeErrorsAndWhereTheyGo) {
  AddUser("alice", "wonderland");
  auto client = AddConfidential({"authorization_code"});
  auto expect = [&](oauth::v1::AuthorizeRequest r, const std::string& error,
                    bool redirectable) {
    auto out = service_->Authorize(r);
    ASSERT_FALSE(out.ok());
    auto e = ToOAuthError(out.status());
    EXPECT_EQ(e.error(), error) << e.error_description();
    EXPECT_EQ(!e.redirect_uri().empty(), redirectable) << e.error_description();
    if (redirectable) {
      EXPECT_EQ(e.redirect_uri(), "https://app.test/cb");
      EXPECT_EQ(e.state(), "xyz");
    }
  };
  auto r = AuthorizeRequest(client.client_id());
  r.set_client_id("unknown");
  expect(r, "invalid_request", false);
  r = AuthorizeRequest(client.client_id());
  r.set_redirect_uri("https://evil.test/cb");
  expect(r, "invalid_request", false);
  r = AuthorizeRequest(client.client_id());
  r.set_response_type("token");
  expect(r, "unsupported_response_type", true);
  r = AuthorizeRequest(client.client_id());
  r.set_scope("admin");
  expect(r, "invalid_scope", true);
  r = AuthorizeRequest(client.client_id());
  r.clear_code_challenge();
  r.clear_code_challenge_method();
  expect(r, "invalid_request", true);
  r = AuthorizeRequest(client.client_id());
  r.set_code_challenge_method("plain");
  expect(r, "invalid_request", true);
  auto cc_only = AddConfidential({"client_credentials"});
  expect(AuthorizeRequest(cc_only.client_id()), "unauthorized_client", true);
  // Wrong credentials: not redirected, the login page asks again.
  r = AuthorizeRequest(client.client_id());
  r.mutable_login()->set_username("alice");
  r.mutable_login()->set_password("wrong");
  expect(r, "invalid_grant", false);
}

TEST_F(OAuthServiceTest, AuthorizationCodeFlowWithPkce) {
  const std::string sub = AddUser("alice", "wonderland");
  auto client = AddConfidential({"authorization_code", "refresh_token"});
  const std::string code = GetCode(client.client_id());
  ASSERT_GE(code.size(), 43u);
  auto token = Redeem(client, code);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(token->scope(), "read write");
  EXPECT_FALSE(token->refresh_token().empty());
  EXPECT_EQ(Introspect(client, token->access_token()).sub(), sub);
}

TEST_F(OAuthServiceTest, CodeBindingFailuresChangeNothing) {
  AddUser("alice", "wonderland");
  auto client = AddConfidential({"authorization_code"});
  auto other = AddConfidential({"authorization_code"});
  const std::string code = GetCode(client.client_id());
  EXPECT_EQ(ErrorOf(Redeem(client, code, std::string(43, 'x')).status()), "invalid_grant");
  EXPECT_EQ(ErrorOf(Redeem(client, code, "").status()), "invalid_grant");
  EXPECT_EQ(ErrorOf(Redeem(client, code, kVerifier, "https://app.test/other").status()),
            "invalid_grant");
  EXPECT_EQ(ErrorOf(Redeem(client, code, kVerifier, "").status()), "invalid_grant");
  EXPECT_EQ(ErrorOf(Redeem(other, code).status()), "invalid_grant");
  EXPECT_EQ(ErrorOf(Redeem(client, code, "short").status()), "invalid_request");
  EXPECT_EQ(ErrorOf(Redeem(client, "").status()), "invalid_request");
  // After all of that the code still works, once.
  EXPECT_TRUE(Redeem(client, code).ok());
}

TEST_F(OAuthServiceTest, CodeReuseRevokesIssuedTokens) {
  AddUser("alice", "wonderland");
  auto client = AddConfidential({"authorization_code", "refresh_token"});
  const std::string code = GetCode(client.client_id());
  auto first = Redeem(client, code);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(Introspect(client, first->access_token()).active());
  auto second = Redeem(client, code);
  EXPECT_EQ(ErrorOf(second.status()), "invalid_grant");
  EXPECT_FALSE(Introspect(client, first->access_token()).active());
  EXPECT_FALSE(Introspect(client, first->refresh_token()).active());
  EXPECT_EQ(ErrorOf(Refresh(client, first->refresh_token()).status()), "invalid_grant");
}

TEST_F(OAuthServiceTest, CodeExpires) {
  AddUser("alice", "wonderland");
  auto client = AddConfidential({"authorization_code"});
  const std::string code = GetCode(client.client_id());
  Advance(config_.code_ttl + absl::Seconds(1));
  EXPECT_EQ(ErrorOf(Redeem(client, code).status()), "invalid_grant");
}

TEST_F(OAuthServiceTest, PublicClientNeedsPkce) {
  AddUser("alice", "wonderland");
  oauth::admin::v1::Client c;
  c.set_token_endpoint_auth_method("none");
  c.add_grant_types("authorization_code");
  c.add_grant_types("refresh_token");
  c.add_redirect_uris("https://app.test/cb");
  c.add_allowed_scopes("read");
  c.add_allowed_scopes("write");
  auto client = AddClient(c);
  EXPECT_TRUE(client.client_secret().empty());
  auto r = AuthorizeRequest(client.client_id());
  r.clear_code_challenge();
  r.clear_code_challenge_method();
  EXPECT_EQ(ErrorOf(service_->Authorize(r).status()), "invalid_request");
  const std::string code = GetCode(client.client_id());
  auto token = Redeem(client, code);
  ASSERT_TRUE(token.ok()) << token.status();
  // A public client presenting a secret is refused.
  auto with_secret = client;
  with_secret.set_client_secret("x");
  EXPECT_EQ(ErrorOf(Refresh(with_secret, token->refresh_token()).status()), "invalid_client");
  EXPECT_TRUE(Refresh(client, token->refresh_token()).ok());
}

TEST_F(OAuthServiceTest, ConfidentialClientMayOptOutOfPkce) {
  AddUser("alice", "wonderland");
  oauth::admin::v1::Client c;
  c.add_grant_types("authorization_code");
  c.add_redirect_uris("https://app.test/cb");
  c.add_allowed_scopes("read");
  c.set_require_pkce(false);
  auto client = AddClient(c);
  auto r = AuthorizeRequest(client.client_id());
  r.clear_code_challenge();
  r.clear_code_challenge_method();
  r.set_scope("read");
  r.mutable_login()->set_username("alice");
  r.mutable_login()->set_password("wonderland");
  auto out = service_->Authorize(r);
  ASSERT_TRUE(out.ok()) << out.status();
  // A verifier without a challenge is refused; none is fine.
  EXPECT_EQ(ErrorOf(Redeem(client, out->code()).status()), "invalid_grant");
  EXPECT_TRUE(Redeem(client, out->code(), "").ok());
}

// ---- refresh tokens -----------------------------------------------------------

TEST_F(OAuthServiceTest, RefreshRotatesAndDetectsReuse) {
  AddUser("alice", "wonderland");
  auto client = AddConfidential({"password", "refresh_token"});
  auto first = Password(client, "alice", "wonderland", "read write");
  ASSERT_TRUE(first.ok());
  auto second = Refresh(client, first->refresh_token());
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_NE(second->refresh_token(), first->refresh_token());
  EXPECT_EQ(second->scope(), "read write");
  EXPECT_FALSE(Introspect(client, first->refresh_token()).active());
  auto third = Refresh(client, second->refresh_token());
  ASSERT_TRUE(third.ok());
  // Reuse of a rotated token revokes the whole family.
  EXPECT_EQ(ErrorOf(Refresh(client, first->refresh_token()).status()), "invalid_grant");
  EXPECT_EQ(ErrorOf(Refresh(client, third->refresh_token()).status()), "invalid_grant");
}

TEST_F(OAuthServiceTest, RefreshScopeNarrowsNeverWidens) {
  AddUser("alice", "wonderland");
  auto client = AddConfidential({"password", "refresh_token"});
  auto first = Password(client, "alice", "wonderland", "read");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(ErrorOf(Refresh(client, first->refresh_token(), "read write").status()),
            "invalid_scope");
  // The failed attempt changed nothing: the token still rotates.
  auto narrowed = Refresh(client, first->refresh_token(), "read");
  ASSERT_TRUE(narrowed.ok()) << narrowed.status();
  EXPECT_EQ(narrowed->scope(), "read");
}

TEST_F(OAuthServiceTest, RefreshByAnotherClientFails) {
  AddUser("alice", "wonderland");
  auto client = AddConfidential({"password", "refresh_token"});
  auto other = AddConfidential({"password", "refresh_token"});
  auto first = Password(client, "alice", "wonderland");
  EXPECT_EQ(ErrorOf(Refresh(other, first->refresh_token()).status()), "invalid_grant");
  EXPECT_TRUE(Refresh(client, first->refresh_token()).ok());
}

TEST_F(OAuthServiceTest, RefreshGraceWindowReturnsSameSuccessor) {
  AddUser("alice", "wonderland");
  oauth::admin::v1::Client c;
  c.add_grant_types("password");
  c.add_grant_types("refresh_token");
  c.set_refresh_grace_seconds(10);
  auto client = AddClient(c);
  auto first = Password(client, "alice", "wonderland");
  auto a = Refresh(client, first->refresh_token());
  auto b = Refresh(client, first->refresh_token());
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(a->refresh_token(), b->refresh_token());
  Advance(absl::Seconds(11));
  EXPECT_EQ(ErrorOf(Refresh(client, first->refresh_token()).status()), "invalid_grant");
  EXPECT_EQ(ErrorOf(Refresh(client, a->refresh_token()).status()), "invalid_grant");
}

TEST_F(OAuthServiceTest, RefreshTokenExpiresAndFamilyHasAbsoluteLifetime) {
  AddUser("alice", "wonderland");
  oauth::admin::v1::Client c;
  c.add_grant_types("password");
  c.add_grant_types("refresh_token");
  c.set_refresh_token_ttl_seconds(100);
  c.set_refresh_family_ttl_seconds(250);
  auto client = AddClient(c);
  auto t = Password(client, "alice", "wonderland");
  Advance(absl::Seconds(101));
  EXPECT_EQ(ErrorOf(Refresh(client, t->refresh_token()).status()), "invalid_grant");
  auto u = Password(client, "alice", "wonderland");
  std::string rt = u->refresh_token();
  for (int i = 0; i < 2; ++i) {
    Advance(absl::Seconds(90));
    auto next = Refresh(client, rt);
    ASSERT_TRUE(next.ok()) << next.status();
    rt = next->refresh_token();
  }
  Advance(absl::Seconds(90));  // 270 s since the family started
  EXPECT_EQ(ErrorOf(Refresh(client, rt).status()), "invalid_grant");
}

TEST_F(OAuthServiceTest, RevokeRefreshTokenRevokesFamily) {
  AddUser("alice", "wonderland");
  auto client = AddConfidential({"password", "refresh_token"});
  auto other = AddConfidential({"password", "refresh_token"});
  auto first = Password(client, "alice", "wonderland");
  auto second = Refresh(client, first->refresh_token());
  EXPECT_EQ(ErrorOf(Revoke(other, second->refresh_token())), "unauthorized_client");
  EXPECT_TRUE(Introspect(client, second->refresh_token()).active());
  EXPECT_TRUE(Revoke(client, first->refresh_token()).ok());  // rotated one: family
  EXPECT_FALSE(Introspect(client, second->refresh_token()).active());
  EXPECT_EQ(ErrorOf(Refresh(client, second->refresh_token()).status()), "invalid_grant");
  EXPECT_EQ(ErrorOf(Refresh(client, "not-a-refresh-token").status()), "invalid_grant");
}

// ---- taking access away (docs/revocation.md) ----------------------------------
// The fake clock moves in whole seconds and an owner's revocation also covers
// its own millisecond, so tests advance the clock before a new login.

TEST_F(OAuthServiceTest, DisablingAUserRevokesAllOfItsGrantsAndNothingElse) {
  AddUser("alice", "wonderland");
  AddUser("bob", "builder!");
  auto client = AddConfidential({"password", "refresh_token", "client_credentials"});
  auto alice = Password(client, "alice", "wonderland");
  auto alice2 = Refresh(client, alice->refresh_token());
  auto bob = Password(client, "bob", "builder!");
  auto service_token = ClientCredentials(client);
  ASSERT_TRUE(alice.ok() && alice2.ok() && bob.ok() && service_token.ok());
  Advance(absl::Seconds(1));
  ASSERT_TRUE(users_->SetDisabled("alice", true).ok());

  EXPECT_EQ(ErrorOf(Refresh(client, alice2->refresh_token()).status()), "invalid_grant");
  EXPECT_FALSE(Introspect(client, alice->access_token()).active());
  EXPECT_FALSE(Introspect(client, alice2->access_token()).active());
  EXPECT_FALSE(Introspect(client, alice2->refresh_token()).active());
  // Bob and the client's own token are untouched.
  EXPECT_TRUE(Introspect(client, bob->access_token()).active());
  EXPECT_TRUE(Introspect(client, service_token->access_token()).active());
  EXPECT_TRUE(Refresh(client, bob->refresh_token()).ok());

  // Enabling again does not bring old tokens back; a new login works.
  ASSERT_TRUE(users_->SetDisabled("alice", false).ok());
  EXPECT_FALSE(Introspect(client, alice2->access_token()).active());
  Advance(absl::Seconds(1));
  auto again = Password(client, "alice", "wonderland");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(Introspect(client, again->access_token()).active());
  EXPECT_TRUE(Refresh(client, again->refresh_token()).ok());
}

TEST_F(OAuthServiceTest, NewPasswordOrDeletionRevokesTheUsersGrants) {
  AddUser("alice", "wonderland");
  AddUser("bob", "builder!");
  auto client = AddConfidential({"password", "refresh_token"});
  auto before = Password(client, "alice", "wonderland");
  auto bob = Password(client, "bob", "builder!");
  Advance(absl::Seconds(1));
  ASSERT_TRUE(users_->SetPassword("alice", "looking-glass").ok());
  EXPECT_FALSE(Introspect(client, before->access_token()).active());
  EXPECT_EQ(ErrorOf(Refresh(client, before->refresh_token()).status()), "invalid_grant");
  Advance(absl::Seconds(1));
  auto after = Password(client, "alice", "looking-glass");
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_TRUE(Introspect(client, after->access_token()).active());

  Advance(absl::Seconds(1));
  ASSERT_TRUE(users_->Delete("alice").ok());
  EXPECT_FALSE(Introspect(client, after->access_token()).active());
  EXPECT_EQ(ErrorOf(Refresh(client, after->refresh_token()).status()), "invalid_grant");
  EXPECT_TRUE(Introspect(client, bob->access_token()).active());
}

TEST_F(OAuthServiceTest, ACodeApprovedBeforeTheUserWasDisabledDoesNotRedeem) {
  AddUser("alice", "wonderland");
  auto client = AddConfidential({"authorization_code", "refresh_token"});
  const std::string code = GetCode(client.client_id());
  const std::string other_code = GetCode(client.client_id());
  Advance(absl::Seconds(1));
  ASSERT_TRUE(users_->SetDisabled("alice", true).ok());
  EXPECT_EQ(ErrorOf(Redeem(client, code).status()), "invalid_grant");
  ASSERT_TRUE(users_->SetDisabled("alice", false).ok());
  EXPECT_EQ(ErrorOf(Redeem(client, other_code).status()), "invalid_grant");
}

// RFC 7009 §2.1: revoking a refresh token revokes the access tokens of the
// same grant, including those minted before the last rotation.
TEST_F(OAuthServiceTest, RevokingARefreshTokenRevokesEveryTokenOfItsGrant) {
  AddUser("alice", "wonderland");
  auto client = AddConfidential({"authorization_code", "refresh_token"});
  auto first = Redeem(client, GetCode(client.client_id()));
  auto second = Refresh(client, first->refresh_token());
  auto other_grant = Redeem(client, GetCode(client.client_id()));
  ASSERT_TRUE(first.ok() && second.ok() && other_grant.ok());
  const auto first_claims = Introspect(client, first->access_token());
  EXPECT_FALSE(first_claims.grant_id().empty());
  EXPECT_EQ(Introspect(client, second->access_token()).grant_id(), first_claims.grant_id());
  EXPECT_NE(Introspect(client, other_grant->access_token()).grant_id(),
            first_claims.grant_id());

  ASSERT_TRUE(Revoke(client, second->refresh_token()).ok());
  EXPECT_FALSE(Introspect(client, first->access_token()).active());
  EXPECT_FALSE(Introspect(client, second->access_token()).active());
  EXPECT_FALSE(Introspect(client, second->refresh_token()).active());
  // The same user's other grant stays.
  EXPECT_TRUE(Introspect(client, other_grant->access_token()).active());
  EXPECT_TRUE(Refresh(client, other_grant->refresh_token()).ok());
}

TEST_F(OAuthServiceTest, RefreshReuseRevokesTheNewestAccessTokenToo) {
  AddUser("alice", "wonderland");
  auto client = AddConfidential({"password", "refresh_token"});
  auto first = Password(client, "alice", "wonderland");
  auto second = Refresh(client, first->refresh_token());
  ASSERT_TRUE(second.ok());
  // Past the retry window (the successor is unused: inside, it would be a
  // retry after a lost answer; see the next test).
  Advance(absl::Seconds(11));
  EXPECT_EQ(ErrorOf(Refresh(client, first->refresh_token()).status()), "invalid_grant");
  EXPECT_FALSE(Introspect(client, second->access_token()).active());
  EXPECT_FALSE(Introspect(client, first->access_token()).active());
}

// ServerConfig::refresh_retry_grace (10 s): the old token presented again
// while its successor is unused gets that successor back (opened from the
// sealed copy), with a new access token; the grant lives on.
TEST_F(OAuthServiceTest, RefreshRetryWithinTheWindowGetsTheSameSuccessor) {
  AddUser("alice", "wonderland");
  auto client = AddConfidential({"password", "refresh_token"});
  auto first = Password(client, "alice", "wonderland", "read write");
  ASSERT_TRUE(first.ok());
  auto second = Refresh(client, first->refresh_token());
  ASSERT_TRUE(second.ok()) << second.status();
  Advance(absl::Seconds(10));
  auto retried = Refresh(client, first->refresh_token(), "read");
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->refresh_token(), second->refresh_token());
  EXPECT_NE(retried->access_token(), second->access_token());
  EXPECT_EQ(retried->scope(), "read");
  EXPECT_TRUE(Introspect(client, second->access_token()).active());
  EXPECT_TRUE(Introspect(client, retried->access_token()).active());
  // The successor rotates as usual; after that the old token is reuse.
  auto third = Refresh(client, second->refresh_token());
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(ErrorOf(Refresh(client, first->refresh_token()).status()), "invalid_grant");
  EXPECT_FALSE(Introspect(client, third->access_token()).active());
}

TEST_F(OAuthServiceTest, DeletingAClientRevokesEverythingAndItsNewNamesakeStartsEmpty) {
  AddUser("alice", "wonderland");
  oauth::admin::v1::Client def;
  def.set_client_id("app");
  for (const char* g : {"password", "refresh_token", "client_credentials"}) {
    def.add_grant_types(g);
  }
  def.add_allowed_scopes("read");
  auto app = AddClient(def);
  auto other = AddConfidential({"password", "refresh_token", "client_credentials"});
  auto user_tokens = Password(app, "alice", "wonderland");
  auto service_token = ClientCredentials(app);
  auto others_token = ClientCredentials(other);
  auto others_user = Password(other, "alice", "wonderland");
  ASSERT_TRUE(user_tokens.ok() && service_token.ok() && others_token.ok() && others_user.ok());

  Advance(absl::Seconds(1));
  ASSERT_TRUE(clients_->Delete("app").ok());
  auto again = AddClient(def);  // same id, new secret
  EXPECT_FALSE(Introspect(again, user_tokens->access_token()).active());
  EXPECT_FALSE(Introspect(again, service_token->access_token()).active());
  EXPECT_FALSE(Introspect(again, user_tokens->refresh_token()).active());
  EXPECT_EQ(ErrorOf(Refresh(again, user_tokens->refresh_token()).status()), "invalid_grant");
  // The other client keeps its tokens.
  EXPECT_TRUE(Introspect(other, others_token->access_token()).active());
  EXPECT_TRUE(Introspect(other, others_user->access_token()).active());
  // The new client's own tokens work.
  Advance(absl::Seconds(1));
  auto fresh = ClientCredentials(again);
  ASSERT_TRUE(fresh.ok());
  EXPECT_TRUE(Introspect(again, fresh->access_token()).active());
  auto fresh_user = Password(again, "alice", "wonderland");
  ASSERT_TRUE(fresh_user.ok());
  EXPECT_TRUE(Refresh(again, fresh_user->refresh_token()).ok());
}

TEST_F(OAuthServiceTest, RefreshGrantsOnlyWhatTheClientMayHaveNow) {
  AddUser("alice", "wonderland");
  auto client = AddConfidential({"password", "refresh_token"});
  auto first = Password(client, "alice", "wonderland", "read write");
  ASSERT_TRUE(first.ok());
  oauth::admin::v1::UpdateClientRequest update;
  update.mutable_client()->set_client_id(client.client_id());
  update.mutable_client()->add_allowed_scopes("read");
  update.mutable_client()->add_default_scopes("read");
  update.mutable_update_mask()->add_paths("allowed_scopes");
  update.mutable_update_mask()->add_paths("default_scopes");
  ASSERT_TRUE(clients_->Update(update).ok());

  auto narrowed = Refresh(client, first->refresh_token());
  ASSERT_TRUE(narrowed.ok()) << narrowed.status();
  EXPECT_EQ(narrowed->scope(), "read");
  EXPECT_EQ(Introspect(client, narrowed->access_token()).scope(), "read");
  EXPECT_EQ(ErrorOf(Refresh(client, narrowed->refresh_token(), "write").status()),
            "invalid_scope");

  update = oauth::admin::v1::UpdateClientRequest();
  update.mutable_client()->set_client_id(client.client_id());
  update.mutable_client()->add_grant_types("password");
  update.mutable_update_mask()->add_paths("grant_types");
  ASSERT_TRUE(clients_->Update(update).ok());
  EXPECT_EQ(ErrorOf(Refresh(client, narrowed->refresh_token()).status()),
            "unauthorized_client");
}

// RFC 6749 §6: the new refresh token keeps the scope of the old one.
TEST_F(OAuthServiceTest, NarrowRefreshNarrowsOnlyTheAccessToken) {
  AddUser("alice", "wonderland");
  auto client = AddConfidential({"password", "refresh_token"});
  auto first = Password(client, "alice", "wonderland", "read write");
  auto narrow = Refresh(client, first->refresh_token(), "read");
  ASSERT_TRUE(narrow.ok()) << narrow.status();
  EXPECT_EQ(narrow->scope(), "read");
  EXPECT_EQ(Introspect(client, narrow->refresh_token()).scope(), "read write");
  auto full = Refresh(client, narrow->refresh_token());
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_EQ(full->scope(), "read write");
}

TEST_F(OAuthServiceTest, ClientSubjectsNeverLookLikeUserSubjects) {
  const std::string sub = AddUser("alice", "wonderland");
  oauth::admin::v1::CreateClientRequest request;
  request.mutable_client()->set_client_id(sub);
  request.mutable_client()->add_grant_types("client_credentials");
  EXPECT_EQ(ErrorOf(clients_->Create(request).status()), "invalid_request");
  request.mutable_client()->set_client_id("u_anything");
  EXPECT_EQ(ErrorOf(clients_->Create(request).status()), "invalid_request");
  auto client = AddConfidential({"client_credentials"});
  EXPECT_EQ(client.client_id().rfind("c_", 0), 0u);
  auto token = ClientCredentials(client);
  ASSERT_TRUE(token.ok());
  const auto claims = Introspect(client, token->access_token());
  EXPECT_EQ(claims.sub(), client.client_id());
  EXPECT_TRUE(claims.grant_id().empty());
}

// RFC 7662 §4: only the token's client, a client in its aud, or a client
// allowed to introspect anything learns about a token.
TEST_F(OAuthServiceTest, IntrospectionTellsOnlyThoseEntitled) {
  AddUser("alice", "wonderland");
  oauth::admin::v1::Client api_def;
  api_def.set_client_id("orders-api");
  api_def.add_grant_types("client_credentials");
  auto api = AddClient(api_def);
  oauth::admin::v1::Client app_def;
  app_def.add_grant_types("password");
  app_def.add_grant_types("refresh_token");
  app_def.add_audiences("orders-api");
  auto app = AddClient(app_def);
  auto stranger = AddConfidential({"client_credentials"});
  oauth::admin::v1::Client auditor_def;
  auditor_def.add_grant_types("client_credentials");
  auditor_def.set_introspect_any_token(true);
  auto auditor = AddClient(auditor_def);

  auto tokens = Password(app, "alice", "wonderland");
  ASSERT_TRUE(tokens.ok());
  for (const std::string& t : {tokens->access_token(), tokens->refresh_token()}) {
    EXPECT_TRUE(Introspect(app, t).active());
    EXPECT_TRUE(Introspect(api, t).active());
    EXPECT_TRUE(Introspect(auditor, t).active());
    const auto hidden = Introspect(stranger, t);
    EXPECT_FALSE(hidden.active());
    EXPECT_TRUE(hidden.username().empty());
    EXPECT_TRUE(hidden.sub().empty());
  }
}

TEST_F(OAuthServiceTest, AdminListsAndRevokesGrants) {
  const std::string sub = AddUser("alice", "wonderland");
  AddUser("bob", "builder!");
  auto client = AddConfidential({"password", "refresh_token", "client_credentials"});
  auto laptop = Password(client, "alice", "wonderland", "read");
  auto phone = Password(client, "alice", "wonderland", "read write");
  auto bob = Password(client, "bob", "builder!");
  oauth::admin::v1::ListUserGrantsRequest list;
  list.set_username("alice");
  auto grants = users_->ListGrants(list);
  ASSERT_TRUE(grants.ok()) << grants.status();
  ASSERT_EQ(grants->grants_size(), 2);
  EXPECT_EQ(grants->grants(0).client_id(), client.client_id());
  EXPECT_EQ(grants->grants(0).create_time(), now_.load());
  EXPECT_GT(grants->grants(0).expire_time(), now_.load());

  // One grant: the phone signs out.
  const std::string phone_grant = Introspect(client, phone->access_token()).grant_id();
  ASSERT_TRUE(users_->RevokeGrant(phone_grant).ok());
  EXPECT_FALSE(Introspect(client, phone->access_token()).active());
  EXPECT_TRUE(Introspect(client, laptop->access_token()).active());
  ASSERT_EQ(users_->ListGrants(list)->grants_size(), 1);

  // Everywhere.
  Advance(absl::Seconds(1));
  ASSERT_TRUE(users_->RevokeGrants("alice").ok());
  EXPECT_FALSE(Introspect(client, laptop->access_token()).active());
  EXPECT_EQ(users_->ListGrants(list)->grants_size(), 0);
  EXPECT_TRUE(Introspect(client, bob->access_token()).active());
  EXPECT_EQ(users_->RevokeGrants("nobody").code(), absl::StatusCode::kNotFound);
  list.set_username("nobody");
  EXPECT_EQ(users_->ListGrants(list).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrorOf(users_->RevokeGrant("")), "invalid_request");

  // A client's grants and client_credentials tokens; the client goes on.
  auto service_token = ClientCredentials(client);
  Advance(absl::Seconds(1));
  ASSERT_TRUE(clients_->RevokeGrants(client.client_id()).ok());
  EXPECT_FALSE(Introspect(client, bob->access_token()).active());
  EXPECT_FALSE(Introspect(client, service_token->access_token()).active());
  Advance(absl::Seconds(1));
  auto later = ClientCredentials(client);
  ASSERT_TRUE(later.ok());
  EXPECT_TRUE(Introspect(client, later->access_token()).active());
  EXPECT_EQ(clients_->RevokeGrants("nobody").code(), absl::StatusCode::kNotFound);
  (void)sub;
}

}  // namespace
}  // namespace oauthd::testing
