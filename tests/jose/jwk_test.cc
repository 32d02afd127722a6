// JWK, RFC 7638 thumbprints, JWK Sets, VerificationKey import.

#include <string>
#include <vector>

#include <openssl/sha.h>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "server/jose/base64url.h"
#include "server/jose/jwk.h"
#include "server/jose/jwks.h"
#include "server/jose/key_set.h"
#include "server/jose/verification_key.h"
#include "tests/jose/test_keys.h"

namespace oauthd::jose {
namespace {

using ::oauthd::jose::testing::TestKey;

// The RSA key of RFC 7638 §3.1 and the thumbprint the RFC gives for it.
Jwk Rfc7638Key() {
  Jwk jwk;
  jwk.kty = "RSA";
  jwk.n =
      "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
      "BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_"
      "FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-"
      "bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
  jwk.e = "AQAB";
  jwk.alg = "RS256";
  jwk.kid = "2011-04-29";
  return jwk;
}
constexpr char kRfc7638Thumbprint[] = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

TEST(JwkThumbprintTest, Rfc7638Section3_1Example) {
  absl::StatusOr<std::string> thumbprint = JwkThumbprint(Rfc7638Key());
  ASSERT_TRUE(thumbprint.ok()) << thumbprint.status();
  EXPECT_EQ(*thumbprint, kRfc7638Thumbprint);
}

TEST(JwkThumbprintTest, IgnoresOptionalMembers) {
  Jwk bare = Rfc7638Key();
  bare.alg.clear();
  bare.kid.clear();
  bare.use = "sig";
  EXPECT_EQ(JwkThumbprint(bare).value(), kRfc7638Thumbprint);
}

TEST(JwkThumbprintTest, RejectsIncompleteOrUnknownKeys) {
  Jwk no_n = Rfc7638Key();
  no_n.n.clear();
  EXPECT_FALSE(JwkThumbprint(no_n).ok());
  Jwk oct;
  oct.kty = "oct";
  EXPECT_FALSE(JwkThumbprint(oct).ok());
  Jwk ec;
  ec.kty = "EC";
  ec.crv = "P-256";
  ec.x = "AA";
  EXPECT_FALSE(JwkThumbprint(ec).ok());  // No y.
}

TEST(JwkThumbprintTest, EcAndOkpUseRequiredMembersInOrder) {
  // Independent recomputation of the canonical JSON for a generated key.
  for (Algorithm alg : {Algorithm::kEs256, Algorithm::kEdDsa}) {
    const Jwk& jwk = TestKey(alg).public_jwk();
    std::string canonical =
        alg == Algorithm::kEs256
            ? "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" + jwk.x + "\",\"y\":\"" + jwk.y + "\"}"
            : "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"" + jwk.x + "\"}";
    unsigned char digest[32];
    SHA256(reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size(), digest);
    EXPECT_EQ(jwk.kid, Base64UrlEncode(std::string(reinterpret_cast<char*>(digest), 32)));
  }
}

TEST(VerificationKeyTest, ImportsRfc7638Key) {
  absl::StatusOr<VerificationKey> key = VerificationKey::FromJwk(Rfc7638Key());
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->alg(), Algorithm::kRs256);
  EXPECT_EQ(key->kid(), "2011-04-29");

  Jwk no_kid = Rfc7638Key();
  no_kid.kid.clear();
  no_kid.alg.clear();
  key = VerificationKey::FromJwk(no_kid);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->kid(), kRfc7638Thumbprint);
  EXPECT_EQ(key->jwk().alg, "RS256");
}

TEST(VerificationKeyTest, PublicJwkShapes) {
  const Jwk& rsa = TestKey(Algorithm::kRs256).public_jwk();
  EXPECT_EQ(rsa.kty, "RSA");
  EXPECT_EQ(rsa.alg, "RS256");
  EXPECT_EQ(rsa.use, "sig");
  EXPECT_EQ(rsa.e, "AQAB");
  EXPECT_EQ(Base64UrlDecode(rsa.n)->size(), 256u);  // 2048-bit test key, no leading zero.
  const Jwk& ec = TestKey(Algorithm::kEs256).public_jwk();
  EXPECT_EQ(ec.kty, "EC");
  EXPECT_EQ(ec.crv, "P-256");
  EXPECT_EQ(Base64UrlDecode(ec.x)->size(), 32u);
  EXPECT_EQ(Base64UrlDecode(ec.y)->size(), 32u);
  const Jwk& okp = TestKey(Algorithm::kEdDsa).public_jwk();
  EXPECT_EQ(okp.kty, "OKP");
  EXPECT_EQ(okp.crv, "Ed25519");
  EXPECT_EQ(okp.alg, "EdDSA");
  EXPECT_EQ(Base64UrlDecode(okp.x)->size(), 32u);
  EXPECT_TRUE(okp.y.empty());
  for (const Jwk* jwk : {&rsa, &ec, &okp}) {
    EXPECT_EQ(jwk->kid, JwkThumbprint(*jwk).value());
    EXPECT_EQ(jwk->kid.size(), 43u);
  }
}

class JwkRoundTripTest : public ::testing::TestWithParam<Algorithm> {};

TEST_P(JwkRoundTripTest, SigningKeyToJwkToVerificationKey) {
  const SigningKey& signer = TestKey(GetParam());
  absl::StatusOr<VerificationKey> verifier = VerificationKey::FromJwk(signer.public_jwk());
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  EXPECT_EQ(verifier->kid(), signer.kid());
  EXPECT_EQ(verifier->alg(), signer.alg());
  EXPECT_EQ(verifier->jwk(), signer.public_jwk());

  const std::string input = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0";
  absl::StatusOr<std::string> signature = signer.Sign(input);
  ASSERT_TRUE(signature.ok()) << signature.status();
  EXPECT_TRUE(verifier->Verify(input, *signature).ok());
  EXPECT_EQ(verifier->Verify(input + "x", *signature).code(),
            absl::StatusCode::kUnauthenticated);
  // Another key of the same type does not verify it.
  absl::StatusOr<VerificationKey> other =
      VerificationKey::FromJwk(TestKey(GetParam(), 1).public_jwk());
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->Verify(input, *signature).ok());
}

TEST_P(JwkRoundTripTest, RenderedJwkParsesBack) {
  const Jwk& jwk = TestKey(GetParam()).public_jwk();
  const std::string json = "{\"keys\":[" + RenderJwk(jwk) + "]}";
  absl::StatusOr<std::vector<Jwk>> parsed = ParseJwks(json);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ(parsed->front(), jwk);
}

INSTANTIATE_TEST_SUITE_P(AllAlgorithms, JwkRoundTripTest,
                         ::testing::Values(Algorithm::kRs256, Algorithm::kEs256,
                                           Algorithm::kEdDsa),
                         [](const auto& info) { return std::string(AlgorithmName(info.param)); });

TEST(JwksTest, RenderParseRoundTrip) {
  std::vector<Jwk> keys = {TestKey(Algorithm::kRs256).public_jwk(),
                           TestKey(Algorithm::kEs256).public_jwk(),
                           TestKey(Algorithm::kEdDsa).public_jwk()};
  const std::string json = RenderJwks(keys);
  EXPECT_TRUE(absl::StartsWith(json, "{\"keys\":[{\"kty\":\"RSA\",\"use\":\"sig\",\"alg\":\"RS256\""))
      << json;
  absl::StatusOr<std::vector<Jwk>> parsed = ParseJwks(json);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, keys);
  EXPECT_EQ(RenderJwks({}), "{\"keys\":[]}");
}

TEST(JwksTest, KeySetFromJwksSkipsUnusableKeys) {
  // A realistic JWKS mixing keys we cannot use with ones we can.
  const Jwk& ec = TestKey(Algorithm::kEs256).public_jwk();
  const std::string json = std::string("{\"keys\":[") +
                           "{\"kty\":\"oct\",\"k\":\"c2VjcmV0\",\"kid\":\"hmac\"}," +
                           "{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"AA\",\"y\":\"AA\"}," +
                           "{\"kty\":\"RSA\",\"use\":\"enc\",\"n\":\"AQAB\",\"e\":\"AQAB\"}," +
                           "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" + ec.x + "\",\"y\":\"" +
                           ec.y + "\",\"kid\":\"ec-1\",\"x5c\":[\"MIIB\"],\"key_ops\":[\"verify\"]}" +
                           "]}";
  absl::StatusOr<KeySet> set = KeySet::FromJwksJson(json);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->size(), 1u);
  ASSERT_NE(set->Find("ec-1"), nullptr);
  EXPECT_EQ(set->Find("ec-1")->alg(), Algorithm::kEs256);
  EXPECT_EQ(set->Find("hmac"), nullptr);
}

TEST(JwksTest, RejectsBadDocuments) {
  for (const char* bad :
       {"", "[]", "{}", "{\"keys\":{}}", "{\"keys\":[1]}", "{\"keys\":[{\"kid\":\"x\"}]}",
        "{\"keys\":[{\"kty\":\"EC\",\"x\":5}]}",
        "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AA\",\"y\":\"AA\",\"d\":\"AA\"}]}"}) {
    absl::StatusOr<std::vector<Jwk>> parsed = ParseJwks(bad);
    EXPECT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  }
  // Parseable but nothing usable.
  absl::StatusOr<KeySet> none = KeySet::FromJwksJson("{\"keys\":[{\"kty\":\"oct\",\"k\":\"AA\"}]}");
  EXPECT_FALSE(none.ok());
  EXPECT_TRUE(absl::StrContains(none.status().message(), "no usable key")) << none.status();
  EXPECT_FALSE(KeySet::FromJwksJson("{\"keys\":[]}").ok());
}

TEST(JwksTest, DuplicateKidRejected) {
  Jwk a = TestKey(Algorithm::kEs256).public_jwk();
  Jwk b = TestKey(Algorithm::kEdDsa).public_jwk();
  b.kid = a.kid;
  absl::StatusOr<KeySet> set = KeySet::FromJwks({a, b});
  EXPECT_FALSE(set.ok());
  EXPECT_TRUE(absl::StrContains(set.status().message(), "two keys with kid")) << set.status();
}

TEST(VerificationKeyTest, RejectsBadJwks) {
  const Jwk ec = TestKey(Algorithm::kEs256).public_jwk();
  const Jwk okp = TestKey(Algorithm::kEdDsa).public_jwk();

  std::vector<std::pair<std::string, Jwk>> cases;
  Jwk j = ec;
  j.alg = "RS256";
  cases.push_back({"alg mismatch", j});
  j = ec;
  j.use = "enc";
  cases.push_back({"use enc", j});
  j = ec;
  j.crv = "P-384";
  cases.push_back({"P-384", j});
  j = ec;
  j.x = j.x.substr(0, 40);
  cases.push_back({"short x", j});
  j = ec;
  j.y = j.x;  // (x, x) is not on the curve.
  cases.push_back({"off-curve point", j});
  j = ec;
  j.x += "=";
  cases.push_back({"padded base64", j});
  j = okp;
  j.crv = "Ed448";
  cases.push_back({"Ed448", j});
  j = okp;
  j.x.clear();
  cases.push_back({"no x", j});
  j = Rfc7638Key();
  j.n = j.n.substr(0, 172);  // 129 bytes: 1032 bits.
  cases.push_back({"RSA 1024", j});
  j = Rfc7638Key();
  j.e = "AQA";  // Even exponent (256).
  cases.push_back({"even e", j});
  j = Rfc7638Key();
  j.kty = "oct";
  cases.push_back({"oct", j});

  for (const auto& [name, jwk] : cases) {
    absl::StatusOr<VerificationKey> key = VerificationKey::FromJwk(jwk);
    EXPECT_FALSE(key.ok()) << name;
    EXPECT_EQ(key.status().code(), absl::StatusCode::kInvalidArgument) << name;
    EXPECT_EQ(std::string(key.status().message()).find('\n'), std::string::npos) << name;
  }
}

}  // namespace
}  // namespace oauthd::jose
