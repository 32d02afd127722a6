#include "tests/client/test_util.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace oauthd::client::testing {

oauth::v1::GetJwksResponse JwksOf(const std::vector<const jose::SigningKey*>& keys) {
  oauth::v1::GetJwksResponse response;
  for (const jose::SigningKey* key : keys) {
    const jose::Jwk& jwk = key->public_jwk();
    oauth::v1::Jwk* out = response.add_keys();
    out->set_kty(jwk.kty);
    out->set_kid(jwk.kid);
    out->set_use(jwk.use);
    out->set_alg(jwk.alg);
    out->set_crv(jwk.crv);
    out->set_x(jwk.x);
    out->set_y(jwk.y);
    out->set_n(jwk.n);
    out->set_e(jwk.e);
  }
  return response;
}

jose::AccessTokenClaims ValidClaims(absl::Time now) {
  static std::atomic<int> counter{0};
  jose::AccessTokenClaims claims;
  claims.iss = kIssuer;
  claims.sub = "alice";
  claims.aud = {kAudience};
  claims.iat = absl::ToUnixSeconds(now);
  claims.exp = claims.iat + 600;
  claims.jti = absl::StrCat("jti-", ++counter);
  claims.client_id = "billing";
  claims.scope = "inventory.read inventory.write";
  return claims;
}

std::string Mint(const jose::SigningKey& key, const jose::AccessTokenClaims& claims) {
  absl::StatusOr<std::string> token = jose::EncodeJwt(key, claims);
  EXPECT_TRUE(token.ok()) << token.status();
  return token.ok() ? *token : "";
}

}  // namespace oauthd::client::testing
