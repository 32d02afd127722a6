// ECDSA signatures are malleable: if (R, S) is valid, so is (R, n - S). A
// token would then have two valid strings with one jti, which defeats any
// bookkeeping keyed by the token string. Only the low-S form (S <= n/2) is
// produced and accepted.

#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "server/jose/base64url.h"
#include "server/jose/internal/ecdsa_signature.h"
#include "server/jose/jwt.h"
#include "server/jose/key_set.h"
#include "server/jose/verification_key.h"
#include "tests/jose/test_keys.h"

namespace oauthd::jose {
namespace {

using ::oauthd::jose::testing::EcdsaHasLowS;
using ::oauthd::jose::testing::EcdsaHighSTwin;
using ::oauthd::jose::testing::TestKey;

AccessTokenClaims Claims(int i) {
  AccessTokenClaims claims;
  claims.iss = "https://as.example";
  claims.sub = "user";
  claims.aud = {"api"};
  claims.iat = 1700000000;
  claims.exp = 1700000300;
  claims.jti = "jti-" + std::to_string(i);
  claims.client_id = "client";
  return claims;
}

// Half of all ECDSA signatures have a high S before normalisation; 64 tokens
// miss one with probability 2^-64.
constexpr int kTokens = 64;

TEST(EcdsaLowSTest, SignerEmitsOnlyLowS) {
  const SigningKey& key = TestKey(Algorithm::kEs256);
  for (int i = 0; i < kTokens; ++i) {
    const std::string token = EncodeJwt(key, Claims(i)).value();
    EXPECT_TRUE(EcdsaHasLowS(token)) << "token " << i;
  }
}

TEST(EcdsaLowSTest, HighSTwinOfValidTokenRejected) {
  const SigningKey& key = TestKey(Algorithm::kEs256);
  // Through the JWK, as a resource server would import the key.
  const KeySet set = KeySet::Create({VerificationKey::FromJwk(key.public_jwk()).value()}).value();
  for (int i = 0; i < kTokens; ++i) {
    const std::string token = EncodeJwt(key, Claims(i)).value();
    ASSERT_TRUE(set.VerifyJwt(token).ok());
    const std::string twin = EcdsaHighSTwin(token);
    ASSERT_NE(twin, token);
    absl::StatusOr<VerifiedJwt> verified = set.VerifyJwt(twin);
    EXPECT_FALSE(verified.ok()) << "high-S twin of token " << i << " accepted";
    EXPECT_EQ(verified.status().code(), absl::StatusCode::kUnauthenticated);
  }
}

TEST(EcdsaLowSTest, VerificationKeyRejectsHighS) {
  const SigningKey& key = TestKey(Algorithm::kEs256);
  const VerificationKey verifier = VerificationKey::FromSigningKey(key);
  for (int i = 0; i < kTokens; ++i) {
    const std::string token = EncodeJwt(key, Claims(i)).value();
    const std::string twin = EcdsaHighSTwin(token);
    const size_t dot = token.rfind('.');
    const std::string signing_input = token.substr(0, dot);
    EXPECT_TRUE(verifier.Verify(signing_input, Base64UrlDecode(token.substr(dot + 1)).value())
                    .ok());
    EXPECT_FALSE(verifier.Verify(signing_input, Base64UrlDecode(twin.substr(dot + 1)).value())
                     .ok());
  }
}

// n - (n - S) == S: the normaliser's constant is the P-256 order OpenSSL uses.
TEST(EcdsaLowSTest, NormalizingTheTwinGivesBackTheSignature) {
  const SigningKey& key = TestKey(Algorithm::kEs256);
  for (int i = 0; i < kTokens; ++i) {
    const std::string token = EncodeJwt(key, Claims(i)).value();
    const size_t dot = token.rfind('.');
    const std::string low = Base64UrlDecode(token.substr(dot + 1)).value();
    std::string high = Base64UrlDecode(EcdsaHighSTwin(token).substr(dot + 1)).value();
    EXPECT_TRUE(internal::IsLowSP256(low));
    EXPECT_FALSE(internal::IsLowSP256(high));
    internal::NormalizeToLowSP256(&high);
    EXPECT_EQ(high, low);
  }
}

}  // namespace
}  // namespace oauthd::jose
