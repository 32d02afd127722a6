// private_key_jwt (RFC 7523 §2.2, §3) and the enforcement of the registered
// token_endpoint_auth_method (RFC 7591 §2), through OAuthService on the
// memory store with a fake clock. Every bad assertion is invalid_client and
// leaves its jti unused.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include <openssl/bn.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "server/core/client_assertion.h"
#include "server/core/client_secret.h"
#include "server/jose/base64url.h"
#include "server/jose/jwks.h"
#include "tests/core/service_fixture.h"

namespace oauthd::testing {
namespace {

using oauth::v1::ClientAuthentication;

struct Key {
  jose::SigningKey key;
  std::string jwks;  // its public JWK Set
};

Key NewKey(jose::Algorithm alg) {
  auto pem = jose::GeneratePrivateKeyPem(alg);
  auto key = jose::SigningKey::FromPem(*pem);
  std::string jwks = jose::RenderJwks({key->public_jwk()});
  return Key{*std::move(key), std::move(jwks)};
}

// A JWS over exactly `header` and `claims` (JSON text), signed by `key`.
std::string Sign(const jose::SigningKey& key, const std::string& header,
                 const std::string& claims) {
  const std::string input =
      absl::StrCat(jose::Base64UrlEncode(header), ".", jose::Base64UrlEncode(claims));
  return absl::StrCat(input, ".", jose::Base64UrlEncode(*key.Sign(input)));
}

// The ES256 signature of `jws` with S replaced by n - S (its twin, which
// verifies as well): what WebCrypto produces half the time.
std::string WithTwinSignature(const std::string& jws) {
  const size_t dot = jws.rfind('.');
  std::string sig = *jose::Base64UrlDecode(jws.substr(dot + 1));
  BIGNUM* n = nullptr;
  BN_hex2bn(&n, "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551");
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()) + 32, 32, nullptr);
  BN_sub(s, n, s);
  BN_bn2binpad(s, reinterpret_cast<unsigned char*>(sig.data()) + 32, 32);
  BN_free(s);
  BN_free(n);
  return absl::StrCat(jws.substr(0, dot + 1), jose::Base64UrlEncode(sig));
}

class ClientAssertionTest : public ServiceTest {
 protected:
  // Registers a private_key_jwt client holding `jwks`.
  std::string AddKeyClient(const std::string& jwks, const std::string& id = "") {
    oauth::admin::v1::Client c;
    c.set_client_id(id);
    c.set_token_endpoint_auth_method("private_key_jwt");
    c.set_jwks(jwks);
    c.add_grant_types("client_credentials");
    c.add_allowed_scopes("read");
    c.add_default_scopes("read");
    return AddClient(c).client_id();
  }

  int64_t Now() const { return now_.load(); }

  // Claims with iss = sub = `client`, aud = the issuer, exp 60 s ahead and
  // jti `jti`; `extra` replaces the whole claims text when not empty.
  std::string Claims(const std::string& client, const std::string& jti = "jti-1",
                     const std::string& aud = "https://issuer.test",
                     int64_t exp_in = 60) const {
    return absl::StrCat("{\"iss\":\"", client, "\",\"sub\":\"", client, "\",\"aud\":\"", aud,
                        "\",\"exp\":", Now() + exp_in, ",\"iat\":", Now(), ",\"jti\":\"", jti,
                        "\"}");
  }

  static std::string Header(const jose::SigningKey& key, bool with_kid = true) {
    return absl::StrCat("{\"alg\":\"", jose::AlgorithmName(key.alg()), "\"",
                        with_kid ? absl::StrCat(",\"kid\":\"", key.kid(), "\"") : "", "}");
  }

  static ClientAuthentication Assertion(const std::string& client_id,
                                        const std::string& assertion) {
    ClientAuthentication auth;
    auth.set_client_id(client_id);
    auth.set_client_assertion_type(std::string(kJwtBearerAssertionType));
    auth.set_client_assertion(assertion);
    return auth;
  }

  absl::StatusOr<oauth::v1::TokenResponse> ClientCredentials(const ClientAuthentication& auth) {
    oauth::v1::IssueTokenRequest r;
    *r.mutable_client() = auth;
    r.mutable_client_credentials();
    return service_->IssueToken(r);
  }

  // The error code and description of a refused assertion.
  std::string Refusal(const ClientAuthentication& auth) {
    auto result = ClientCredentials(auth);
    if (result.ok()) return "accepted";
    const auto error = ToOAuthError(result.status());
    return absl::StrCat(error.error(), ": ", error.error_description());
  }
};

TEST_F(ClientAssertionTest, ValidAssertionForEachAlgorithm) {
  for (jose::Algorithm alg :
       {jose::Algorithm::kEs256, jose::Algorithm::kRs256, jose::Algorithm::kEdDsa}) {
    SCOPED_TRACE(jose::AlgorithmName(alg));
    Key key = NewKey(alg);
    const std::string id = AddKeyClient(key.jwks);
    auto token = ClientCredentials(Assertion(id, Sign(key.key, Header(key.key), Claims(id))));
    ASSERT_TRUE(token.ok()) << token.status();
    EXPECT_FALSE(token->access_token().empty());
    EXPECT_EQ(token->scope(), "read");
  }
}

TEST_F(ClientAssertionTest, HighSEcdsaTwinIsAcceptedOnceLikeAnyOther) {
  Key key = NewKey(jose::Algorithm::kEs256);
  const std::string id = AddKeyClient(key.jwks);
  // Our signer emits low S; its twin is the high-S form WebCrypto may send.
  const std::string low = Sign(key.key, Header(key.key), Claims(id, "twin"));
  const std::string high = WithTwinSignature(low);
  ASSERT_NE(low, high);
  EXPECT_EQ(Refusal(Assertion(id, high)), "accepted");
  // The other form of the same assertion is a replay.
  EXPECT_EQ(Refusal(Assertion(id, low)),
            "invalid_client: client assertion rejected: 'jti' was already used (replay)");
}

TEST_F(ClientAssertionTest, Ed25519IsTheFullySpecifiedNameOfEdDsa) {
  Key ed = NewKey(jose::Algorithm::kEdDsa);
  Key ec = NewKey(jose::Algorithm::kEs256);
  const std::string ed_id = AddKeyClient(ed.jwks);
  const std::string ec_id = AddKeyClient(ec.jwks);
  // RFC 9864: "Ed25519" names EdDSA over Ed25519 (oauth4webapi sends it).
  EXPECT_EQ(Refusal(Assertion(ed_id, Sign(ed.key, absl::StrCat("{\"alg\":\"Ed25519\",\"kid\":\"",
                                                             ed.key.kid(), "\"}"),
                                          Claims(ed_id, "ed")))),
            "accepted");
  // It matches no other key type.
  EXPECT_EQ(Refusal(Assertion(ec_id, Sign(ec.key, absl::StrCat("{\"alg\":\"Ed25519\",\"kid\":\"",
                                                             ec.key.kid(), "\"}"),
                                          Claims(ec_id, "ec"))))
                .substr(0, 15),
            "invalid_client:");
}

TEST_F(ClientAssertionTest, ClientIdMayBeOmittedAndKidToo) {
  Key key = NewKey(jose::Algorithm::kEs256);
  const std::string id = AddKeyClient(key.jwks);
  // RFC 7523 §3: client_id is optional; the assertion's sub names the client.
  EXPECT_EQ(Refusal(Assertion("", Sign(key.key, Header(key.key), Claims(id, "a")))), "accepted");
  // One registered key: the header need not name it.
  EXPECT_EQ(Refusal(Assertion(id, Sign(key.key, Header(key.key, false), Claims(id, "b")))),
            "accepted");
}

TEST_F(ClientAssertionTest, AudienceMayBeTheIssuerOrTheEndpointUrl) {
  Key key = NewKey(jose::Algorithm::kEs256);
  const std::string id = AddKeyClient(key.jwks);
  EXPECT_EQ(Refusal(Assertion(
                id, Sign(key.key, Header(key.key), Claims(id, "t", "https://issuer.test/token")))),
            "accepted");
  // At /introspect its own URL is accepted, another endpoint's is not.
  oauth::v1::IntrospectRequest introspect;
  *introspect.mutable_client() = Assertion(
      id, Sign(key.key, Header(key.key), Claims(id, "i", "https://issuer.test/introspect")));
  introspect.set_token("whatever");
  EXPECT_TRUE(service_->Introspect(introspect).ok());
  *introspect.mutable_client() = Assertion(
      id, Sign(key.key, Header(key.key), Claims(id, "r", "https://issuer.test/revoke")));
  EXPECT_EQ(ErrorOf(service_->Introspect(introspect).status()), "invalid_client");
  oauth::v1::RevokeRequest revoke;
  *revoke.mutable_client() = introspect.client();
  revoke.set_token("whatever");
  EXPECT_TRUE(service_->Revoke(revoke).ok());
}

TEST_F(ClientAssertionTest, BadAssertionsAreInvalidClient) {
  Key key = NewKey(jose::Algorithm::kEs256);
  Key other = NewKey(jose::Algorithm::kEs256);
  Key rsa = NewKey(jose::Algorithm::kRs256);
  const std::string id = AddKeyClient(key.jwks);
  const std::string other_id = AddKeyClient(other.jwks);
  auto refused = [&](const std::string& assertion, const std::string& client_id = "") {
    return Refusal(Assertion(client_id.empty() ? id : client_id, assertion));
  };
  const std::string h = Header(key.key);
  // Signed by another key, under the registered key's kid.
  EXPECT_EQ(refused(Sign(other.key, h, Claims(id))).substr(0, 15), "invalid_client:");
  // Signed by an unregistered key naming itself.
  EXPECT_EQ(refused(Sign(other.key, Header(other.key), Claims(id))).substr(0, 15),
            "invalid_client:");
  // alg must match the key type: RS256 claimed for the EC key.
  const std::string rs_on_ec =
      absl::StrCat("{\"alg\":\"RS256\",\"kid\":\"", key.key.kid(), "\"}");
  EXPECT_EQ(refused(Sign(rsa.key, rs_on_ec, Claims(id))).substr(0, 15), "invalid_client:");
  EXPECT_EQ(refused(Sign(key.key, "{\"alg\":\"none\"}", Claims(id))).substr(0, 15),
            "invalid_client:");
  EXPECT_EQ(refused(Sign(key.key, h, Claims(id, "j", "https://other.test"))),
            "invalid_client: client assertion rejected: 'aud' must contain the issuer "
            "https://issuer.test or the endpoint URL https://issuer.test/token");
  EXPECT_EQ(refused(Sign(key.key, h, Claims(id, "j", "https://issuer.test", -31))),
            "invalid_client: client assertion rejected: expired");
  EXPECT_EQ(refused(Sign(key.key, h, Claims(id, "j", "https://issuer.test", 3600))),
            "invalid_client: client assertion rejected: 'exp' is more than 300 seconds ahead");
  const std::string no_exp =
      absl::StrCat("{\"iss\":\"", id, "\",\"sub\":\"", id,
                   "\",\"aud\":\"https://issuer.test\",\"jti\":\"j\"}");
  EXPECT_EQ(refused(Sign(key.key, h, no_exp)), "invalid_client: client assertion rejected: no 'exp'");
  const std::string no_jti = absl::StrReplaceAll(Claims(id), {{",\"jti\":\"jti-1\"", ""}});
  EXPECT_EQ(refused(Sign(key.key, h, no_jti)), "invalid_client: client assertion rejected: no 'jti'");
  // iss != sub.
  const std::string iss_other = absl::StrReplaceAll(
      Claims(id), {{absl::StrCat("\"iss\":\"", id, "\""), "\"iss\":\"someone\""}});
  EXPECT_EQ(refused(Sign(key.key, h, iss_other)),
            "invalid_client: client assertion rejected: 'iss' is not the client id");
  // A body client_id naming another client than the assertion.
  EXPECT_EQ(refused(Sign(key.key, h, Claims(id)), other_id).substr(0, 15), "invalid_client:");
  // Not a JWS at all.
  EXPECT_EQ(refused("not-a-jwt").substr(0, 15), "invalid_client:");
  // None of these used the jti up.
  EXPECT_EQ(refused(Sign(key.key, h, Claims(id))), "accepted");
}

TEST_F(ClientAssertionTest, JtiIsSingleUseUntilExpiry) {
  Key key = NewKey(jose::Algorithm::kEdDsa);
  const std::string id = AddKeyClient(key.jwks);
  const std::string assertion = Sign(key.key, Header(key.key), Claims(id, "once", "https://issuer.test", 60));
  EXPECT_EQ(Refusal(Assertion(id, assertion)), "accepted");
  EXPECT_EQ(Refusal(Assertion(id, assertion)),
            "invalid_client: client assertion rejected: 'jti' was already used (replay)");
  // The same jti in a new assertion is still a replay while the first could live.
  Advance(absl::Seconds(30));
  EXPECT_EQ(Refusal(Assertion(id, Sign(key.key, Header(key.key), Claims(id, "once")))),
            "invalid_client: client assertion rejected: 'jti' was already used (replay)");
  // Another client may use the same jti.
  Key key2 = NewKey(jose::Algorithm::kEdDsa);
  const std::string id2 = AddKeyClient(key2.jwks);
  EXPECT_EQ(Refusal(Assertion(id2, Sign(key2.key, Header(key2.key), Claims(id2, "once")))),
            "accepted");
}

TEST_F(ClientAssertionTest, RegisteredMethodIsEnforced) {
  Key key = NewKey(jose::Algorithm::kEs256);
  const std::string key_client = AddKeyClient(key.jwks);
  oauth::admin::v1::Client c;
  c.add_grant_types("client_credentials");
  c.set_token_endpoint_auth_method("client_secret_basic");
  ClientAuthentication basic = AddClient(c);
  c.set_token_endpoint_auth_method("client_secret_post");
  ClientAuthentication post = AddClient(c);

  basic.set_client_secret_method("client_secret_basic");
  EXPECT_EQ(Refusal(basic), "accepted");
  basic.set_client_secret_method("client_secret_post");
  EXPECT_EQ(Refusal(basic),
            "invalid_client: this client is registered for client_secret_basic: send the secret "
            "in the Authorization header");
  post.set_client_secret_method("client_secret_post");
  EXPECT_EQ(Refusal(post), "accepted");
  post.set_client_secret_method("client_secret_basic");
  EXPECT_EQ(Refusal(post).substr(0, 15), "invalid_client:");
  // Over gRPC (no HTTP method): either secret method is fine.
  post.clear_client_secret_method();
  EXPECT_EQ(Refusal(post), "accepted");

  // A private_key_jwt client sending a secret (there is none) or nothing.
  ClientAuthentication secret;
  secret.set_client_id(key_client);
  secret.set_client_secret(post.client_secret());
  secret.set_client_secret_method("client_secret_post");
  EXPECT_EQ(Refusal(secret).substr(0, 15), "invalid_client:");
  secret.clear_client_secret();
  EXPECT_EQ(Refusal(secret).substr(0, 15), "invalid_client:");
  // A secret client sending an assertion signed by a registered key of
  // another client.
  EXPECT_EQ(Refusal(Assertion(basic.client_id(),
                              Sign(key.key, Header(key.key), Claims(basic.client_id())))),
            "invalid_client: client authentication failed");
  // Secret and assertion together; an assertion without its type.
  ClientAuthentication both = Assertion(key_client, "x.y.z");
  both.set_client_secret("s");
  EXPECT_EQ(Refusal(both).substr(0, 16), "invalid_request:");
  ClientAuthentication wrong_type = Assertion(key_client, Sign(key.key, Header(key.key), Claims(key_client)));
  wrong_type.set_client_assertion_type("urn:ietf:params:oauth:client-assertion-type:saml2-bearer");
  EXPECT_EQ(Refusal(wrong_type).substr(0, 15), "invalid_client:");
}

TEST_F(ClientAssertionTest, ClientsRegisteredBeforeEnforcementAcceptEitherWay) {
  // A record as stored before this version: a method but no enforcement.
  storage::ClientRecord record;
  record.mutable_client()->set_client_id("legacy");
  record.mutable_client()->set_token_endpoint_auth_method("client_secret_basic");
  record.mutable_client()->add_grant_types("client_credentials");
  const HashedSecret hashed = HashClientSecret("legacy-secret-legacy-secret-legacy-secret");
  record.set_secret_salt(hashed.salt);
  record.set_secret_hash(hashed.hash);
  ASSERT_TRUE(store_->clients().Create(record).ok());
  ClientAuthentication auth;
  auth.set_client_id("legacy");
  auth.set_client_secret("legacy-secret-legacy-secret-legacy-secret");
  auth.set_client_secret_method("client_secret_post");
  EXPECT_EQ(Refusal(auth), "accepted");
  auth.set_client_secret_method("client_secret_basic");
  EXPECT_EQ(Refusal(auth), "accepted");

  // Setting the method explicitly turns enforcement on.
  oauth::admin::v1::UpdateClientRequest update;
  update.mutable_client()->set_client_id("legacy");
  update.mutable_client()->set_token_endpoint_auth_method("client_secret_basic");
  update.mutable_update_mask()->add_paths("token_endpoint_auth_method");
  auto updated = clients_->Update(update);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_TRUE(updated->token_endpoint_auth_method_enforced());
  service_->clients().Invalidate("legacy");
  auth.set_client_secret_method("client_secret_post");
  EXPECT_EQ(Refusal(auth).substr(0, 15), "invalid_client:");
  // The flag itself is output only.
  update.mutable_update_mask()->set_paths(0, "token_endpoint_auth_method_enforced");
  EXPECT_EQ(ErrorOf(clients_->Update(update).status()), "invalid_request");
}

TEST_F(ClientAssertionTest, AdminValidatesKeysAndMethods) {
  Key key = NewKey(jose::Algorithm::kEs256);
  auto create = [&](oauth::admin::v1::Client c) {
    oauth::admin::v1::CreateClientRequest request;
    *request.mutable_client() = std::move(c);
    return clients_->Create(request);
  };
  oauth::admin::v1::Client c;
  c.add_grant_types("client_credentials");
  c.set_token_endpoint_auth_method("private_key_jwt");
  EXPECT_EQ(ErrorOf(create(c).status()), "invalid_request");  // no jwks
  c.set_jwks("{\"keys\":[]}");
  EXPECT_EQ(ErrorOf(create(c).status()), "invalid_request");  // no usable key
  c.set_jwks("not json");
  EXPECT_EQ(ErrorOf(create(c).status()), "invalid_request");
  // Private key material is refused.
  c.set_jwks(absl::StrReplaceAll(key.jwks, {{"\"kty\"", "\"d\":\"AAAA\",\"kty\""}}));
  EXPECT_EQ(ErrorOf(create(c).status()), "invalid_request");
  c.set_jwks(key.jwks);
  auto created = create(c);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->client_secret(), "");  // no secret for a key client
  EXPECT_TRUE(created->client().token_endpoint_auth_method_enforced());
  EXPECT_EQ(ErrorOf(clients_->RotateSecret(created->client().client_id()).status()),
            "invalid_request");
  // jwks only with private_key_jwt.
  c.set_token_endpoint_auth_method("client_secret_basic");
  EXPECT_EQ(ErrorOf(create(c).status()), "invalid_request");
  // A key client cannot fall back to a secret it does not have.
  oauth::admin::v1::UpdateClientRequest update;
  update.mutable_client()->set_client_id(created->client().client_id());
  update.mutable_client()->set_token_endpoint_auth_method("client_secret_basic");
  update.mutable_update_mask()->add_paths("token_endpoint_auth_method");
  update.mutable_update_mask()->add_paths("jwks");
  EXPECT_EQ(ErrorOf(clients_->Update(update).status()), "invalid_request");

  // A secret client moves to keys: its secret stops working.
  c.clear_jwks();
  auto secret_client = create(c);
  ASSERT_TRUE(secret_client.ok());
  ClientAuthentication old;
  old.set_client_id(secret_client->client().client_id());
  old.set_client_secret(secret_client->client_secret());
  EXPECT_EQ(Refusal(old), "accepted");
  update.mutable_client()->set_client_id(old.client_id());
  update.mutable_client()->set_token_endpoint_auth_method("private_key_jwt");
  update.mutable_client()->set_jwks(key.jwks);
  ASSERT_TRUE(clients_->Update(update).ok());
  service_->clients().Invalidate(old.client_id());
  EXPECT_EQ(Refusal(old).substr(0, 15), "invalid_client:");
  EXPECT_EQ(Refusal(Assertion(old.client_id(),
                              Sign(key.key, Header(key.key), Claims(old.client_id(), "moved")))),
            "accepted");
}

TEST_F(ClientAssertionTest, AdminValidatesCorsOrigins) {
  auto with_origin = [&](const std::string& origin) {
    oauth::admin::v1::Client c;
    c.add_grant_types("client_credentials");
    c.add_allowed_cors_origins(origin);
    oauth::admin::v1::CreateClientRequest request;
    *request.mutable_client() = c;
    auto created = clients_->Create(request);
    return created.ok() ? std::string("ok") : ErrorOf(created.status());
  };
  for (const char* good : {"https://app.example", "http://127.0.0.1:5173", "http://[::1]:8080",
                           "https://a-b.example.com:8443"}) {
    EXPECT_EQ(with_origin(good), "ok") << good;
  }
  for (const char* bad : {"*", "null", "https://app.example/", "https://app.example/path",
                          "HTTPS://app.example", "https://App.example", "ftp://app.example",
                          "https://app.example:443", "http://app.example:80", "https://",
                          "https://app.example:0", "https://app.example:99999",
                          "https://user@app.example", "https://app.example?x"}) {
    EXPECT_EQ(with_origin(bad), "invalid_request") << bad;
  }
}

// Found by the cors_origin fuzz target: the host check allowed ':' and
// brackets outside an IPv6 literal, any letters inside one, and an empty port
// after one. None of these is an Origin a browser can send.
TEST_F(ClientAssertionTest, AdminRefusesOriginsNoBrowserSends) {
  auto with_origin = [&](const std::string& origin) {
    oauth::admin::v1::Client c;
    c.add_grant_types("client_credentials");
    c.add_allowed_cors_origins(origin);
    oauth::admin::v1::CreateClientRequest request;
    *request.mutable_client() = c;
    auto created = clients_->Create(request);
    return created.ok() ? std::string("ok") : ErrorOf(created.status());
  };
  for (const char* bad : {"http://a:b:81", "http://app.example]:81", "http://a[b",
                          "http://a:", "http://[::1]:", "http://[zz]", "http://[]",
                          "http://[1:2]", "http://[::G]", "http://[::1%25eth0]"}) {
    EXPECT_EQ(with_origin(bad), "invalid_request") << bad;
  }
  for (const char* good : {"http://[2001:db8::1]", "https://[2001:db8::1]:8443",
                           "http://10.0.0.1:8080"}) {
    EXPECT_EQ(with_origin(good), "ok") << good;
  }
}

TEST_F(ClientAssertionTest, MetadataListsPrivateKeyJwt) {
  const oauth::v1::ServerMetadata m = service_->GetServerMetadata();
  auto has = [](const auto& list, const std::string& v) {
    return std::find(list.begin(), list.end(), v) != list.end();
  };
  EXPECT_TRUE(has(m.token_endpoint_auth_methods_supported(), "private_key_jwt"));
  EXPECT_TRUE(has(m.introspection_endpoint_auth_methods_supported(), "private_key_jwt"));
  EXPECT_TRUE(has(m.revocation_endpoint_auth_methods_supported(), "private_key_jwt"));
  for (const char* alg : {"ES256", "RS256", "EdDSA"}) {
    EXPECT_TRUE(has(m.token_endpoint_auth_signing_alg_values_supported(), alg));
    EXPECT_TRUE(has(m.introspection_endpoint_auth_signing_alg_values_supported(), alg));
    EXPECT_TRUE(has(m.revocation_endpoint_auth_signing_alg_values_supported(), alg));
  }
}

}  // namespace
}  // namespace oauthd::testing
