// JWT access tokens: EncodeJwt, KeySet::VerifyJwt and claim validation, for
// each algorithm, including the classic JWS attacks.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "server/jose/base64url.h"
#include "server/jose/jwks.h"
#include "server/jose/jwt.h"
#include "server/jose/jwt_validation.h"
#include "server/jose/key_set.h"
#include "tests/jose/test_keys.h"

namespace oauthd::jose {
namespace {

using ::oauthd::jose::testing::SignCompact;
using ::oauthd::jose::testing::TestKey;

constexpr int64_t kNow = 1700000000;
constexpr char kIssuer[] = "https://auth.example.com";

AccessTokenClaims Claims() {
  AccessTokenClaims claims;
  claims.iss = kIssuer;
  claims.sub = "user-42";
  claims.aud = {"https://api.example.com"};
  claims.iat = kNow;
  claims.exp = kNow + 300;
  claims.jti = "jti-0001";
  claims.client_id = "client-a";
  claims.scope = "read write";
  return claims;
}

// The claims JSON a hand-crafted token carries (same as Claims()).
std::string ClaimsJson(int64_t exp = kNow + 300) {
  return absl::StrCat("{\"iss\":\"", kIssuer,
                      "\",\"sub\":\"user-42\",\"aud\":\"https://api.example.com\",\"exp\":", exp,
                      ",\"iat\":", kNow, ",\"jti\":\"jti-0001\",\"client_id\":\"client-a\"}");
}

absl::Time Now() { return absl::FromUnixSeconds(kNow); }

std::vector<std::string> Parts(const std::string& token) {
  return absl::StrSplit(token, '.');
}

std::string Decode(absl::string_view part) { return Base64UrlDecode(part).value(); }

class JwtTest : public ::testing::TestWithParam<Algorithm> {
 protected:
  const SigningKey& key() const { return TestKey(GetParam()); }

  // A set with this test's key plus keys of the other algorithms.
  KeySet Set() const {
    std::vector<VerificationKey> keys;
    for (Algorithm alg : {Algorithm::kRs256, Algorithm::kEs256, Algorithm::kEdDsa}) {
      keys.push_back(VerificationKey::FromSigningKey(TestKey(alg)));
    }
    return KeySet::Create(std::move(keys)).value();
  }

  std::string Token(const AccessTokenClaims& claims = Claims()) const {
    absl::StatusOr<std::string> token = EncodeJwt(key(), claims);
    EXPECT_TRUE(token.ok()) << token.status();
    return token.value_or("");
  }

  std::string Header(absl::string_view alg, absl::string_view typ = "at+jwt") const {
    return absl::StrCat("{\"alg\":\"", alg, "\",\"kid\":\"", key().kid(), "\",\"typ\":\"", typ,
                        "\"}");
  }

  void ExpectRejected(const std::string& token, absl::StatusCode code,
                      absl::string_view reason) const {
    absl::StatusOr<VerifiedJwt> jwt = Set().VerifyJwt(token);
    ASSERT_FALSE(jwt.ok()) << "accepted: " << token;
    EXPECT_EQ(jwt.status().code(), code) << jwt.status();
    EXPECT_TRUE(absl::StrContains(jwt.status().message(), reason)) << jwt.status();
  }
};

TEST_P(JwtTest, RoundTrip) {
  AccessTokenClaims claims = Claims();
  claims.username = "alice";
  claims.nbf = kNow - 1;
  const std::string token = Token(claims);

  const std::vector<std::string> parts = Parts(token);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(Decode(parts[0]), absl::StrCat("{\"alg\":\"", AlgorithmName(GetParam()),
                                           "\",\"typ\":\"at+jwt\",\"kid\":\"", key().kid(),
                                           "\"}"));
  EXPECT_EQ(Decode(parts[1]),
            absl::StrCat("{\"iss\":\"", kIssuer,
                         "\",\"sub\":\"user-42\",\"aud\":\"https://api.example.com\","
                         "\"exp\":1700000300,\"nbf\":1699999999,\"iat\":1700000000,"
                         "\"jti\":\"jti-0001\",\"client_id\":\"client-a\","
                         "\"scope\":\"read write\",\"username\":\"alice\"}"));

  absl::StatusOr<VerifiedJwt> jwt = Set().VerifyJwt(token);
  ASSERT_TRUE(jwt.ok()) << jwt.status();
  EXPECT_EQ(jwt->header.alg, AlgorithmName(GetParam()));
  EXPECT_EQ(jwt->header.kid, key().kid());
  EXPECT_EQ(jwt->header.typ, "at+jwt");
  EXPECT_EQ(jwt->claims.iss, kIssuer);
  EXPECT_EQ(jwt->claims.sub, "user-42");
  EXPECT_EQ(jwt->claims.aud, std::vector<std::string>{"https://api.example.com"});
  EXPECT_EQ(jwt->claims.exp, kNow + 300);
  EXPECT_EQ(jwt->claims.iat, kNow);
  EXPECT_EQ(jwt->claims.nbf, kNow - 1);
  EXPECT_EQ(jwt->claims.jti, "jti-0001");
  EXPECT_EQ(jwt->claims.client_id, "client-a");
  EXPECT_EQ(jwt->claims.scope, "read write");
  EXPECT_EQ(jwt->claims.username, "alice");
  EXPECT_EQ(jwt->payload.fields().at("username").string_value(), "alice");
  EXPECT_TRUE(ValidateAccessTokenClaims(*jwt, kIssuer, Now(), absl::ZeroDuration()).ok());
  EXPECT_TRUE(ValidateAudience(*jwt, "https://api.example.com").ok());
  EXPECT_EQ(ValidateAudience(*jwt, "https://other.example.com").code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_P(JwtTest, MultipleAudiencesAndEscapedStrings) {
  AccessTokenClaims claims = Claims();
  claims.aud = {"a", "b"};
  claims.sub = "we\"ird\\sub\n\xc3\xa9";
  absl::StatusOr<VerifiedJwt> jwt = Set().VerifyJwt(Token(claims));
  ASSERT_TRUE(jwt.ok()) << jwt.status();
  EXPECT_EQ(jwt->claims.aud, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(jwt->claims.sub, claims.sub);
  EXPECT_TRUE(ValidateAudience(*jwt, "b").ok());
}

TEST_P(JwtTest, HandCraftedHeaderVerifiesThroughParser) {
  // Same key, header members in another order: takes the parsing path.
  const std::string token = SignCompact(key(), Header(AlgorithmName(GetParam())), ClaimsJson());
  absl::StatusOr<VerifiedJwt> jwt = Set().VerifyJwt(token);
  ASSERT_TRUE(jwt.ok()) << jwt.status();
  EXPECT_EQ(jwt->header.kid, key().kid());
  EXPECT_TRUE(ValidateAccessTokenClaims(*jwt, kIssuer, Now(), absl::ZeroDuration()).ok());
}

TEST_P(JwtTest, TamperedPayloadRejected) {
  std::vector<std::string> parts = Parts(Token());
  std::string payload = Decode(parts[1]);
  payload.replace(payload.find("user-42"), 7, "user-43");
  const std::string token =
      absl::StrCat(parts[0], ".", Base64UrlEncode(payload), ".", parts[2]);
  ExpectRejected(token, absl::StatusCode::kUnauthenticated, "signature");
}

TEST_P(JwtTest, TamperedSignatureRejected) {
  std::vector<std::string> parts = Parts(Token());
  for (size_t position : {size_t{0}, size_t{31}, Decode(parts[2]).size() - 1}) {
    std::string signature = Decode(parts[2]);
    signature[position] ^= 0x01;
    ExpectRejected(absl::StrCat(parts[0], ".", parts[1], ".", Base64UrlEncode(signature)),
                   absl::StatusCode::kUnauthenticated, "signature");
  }
  // Truncated and extended signatures.
  std::string signature = Decode(parts[2]);
  ExpectRejected(absl::StrCat(parts[0], ".", parts[1], ".",
                              Base64UrlEncode(signature.substr(0, signature.size() - 1))),
                 absl::StatusCode::kUnauthenticated, "signature");
  ExpectRejected(absl::StrCat(parts[0], ".", parts[1], ".", Base64UrlEncode(signature + "A")),
                 absl::StatusCode::kUnauthenticated, "signature");
  // Empty signature.
  ExpectRejected(absl::StrCat(parts[0], ".", parts[1], "."), absl::StatusCode::kUnauthenticated,
                 "empty signature");
}

TEST_P(JwtTest, AlgNoneRejected) {
  const std::string header = Header("none");
  const std::string unsecured =
      absl::StrCat(Base64UrlEncode(header), ".", Base64UrlEncode(ClaimsJson()), ".");
  ExpectRejected(unsecured, absl::StatusCode::kUnauthenticated, "\"none\"");
  // Even with a valid signature over the same input.
  ExpectRejected(SignCompact(key(), header, ClaimsJson()), absl::StatusCode::kUnauthenticated,
                 "\"none\"");
}

TEST_P(JwtTest, AlgSwapRejected) {
  // Header claims a different algorithm than the key's: HMAC with the public
  // key as secret (classic confusion), another asymmetric alg, case games.
  for (const char* alg : {"HS256", "RS256", "ES256", "EdDSA", "PS256", "ES384", "es256"}) {
    if (alg == AlgorithmName(GetParam())) continue;
    ExpectRejected(SignCompact(key(), Header(alg), ClaimsJson()),
                   absl::StatusCode::kUnauthenticated, "does not match key");
  }
}

TEST_P(JwtTest, AlgMissingRejected) {
  const std::string header = absl::StrCat("{\"kid\":\"", key().kid(), "\"}");
  ExpectRejected(SignCompact(key(), header, ClaimsJson()), absl::StatusCode::kUnauthenticated,
                 "no \"alg\"");
}

TEST_P(JwtTest, UnknownKidRejected) {
  const SigningKey& stranger = TestKey(GetParam(), 1);  // Same alg, not in the set.
  ExpectRejected(EncodeJwt(stranger, Claims()).value(), absl::StatusCode::kUnauthenticated,
                 "unknown kid");
}

TEST_P(JwtTest, MissingKidRejected) {
  const std::string header = absl::StrCat("{\"alg\":\"", AlgorithmName(GetParam()), "\"}");
  ExpectRejected(SignCompact(key(), header, ClaimsJson()), absl::StatusCode::kUnauthenticated,
                 "no \"kid\"");
}

TEST_P(JwtTest, CritHeaderRejected) {
  const std::string header =
      absl::StrCat("{\"alg\":\"", AlgorithmName(GetParam()), "\",\"kid\":\"", key().kid(),
                   "\",\"crit\":[\"b64\"],\"b64\":false}");
  ExpectRejected(SignCompact(key(), header, ClaimsJson()), absl::StatusCode::kUnauthenticated,
                 "crit");
}

TEST_P(JwtTest, MalformedTokensRejected) {
  const std::string good = Token();
  const std::vector<std::string> parts = Parts(good);
  const std::string header_json = Header(AlgorithmName(GetParam()));
  for (const std::string& bad : std::vector<std::string>{
           "", ".", "..", "...", "a.b", good + ".", "." + good, parts[0] + "." + parts[1],
           good + "=", parts[0] + "=." + parts[1] + "." + parts[2],
           parts[0] + "." + parts[1] + "+." + parts[2],
           Base64UrlEncode("not json") + "." + parts[1] + "." + parts[2],
           Base64UrlEncode("[1]") + "." + parts[1] + "." + parts[2],
           std::string(kMaxJwtSize + 1, 'a'),
       }) {
    absl::StatusOr<VerifiedJwt> jwt = Set().VerifyJwt(bad);
    EXPECT_FALSE(jwt.ok()) << bad;
  }
  // Validly signed but the payload is not a JSON object / has bad claim types.
  for (const char* payload : {"not json", "[]", "{\"exp\":\"tomorrow\"}", "{\"exp\":1.5}",
                              "{\"aud\":[1]}", "{\"iss\":null}", "{\"exp\":1e300}"}) {
    ExpectRejected(SignCompact(key(), header_json, payload), absl::StatusCode::kInvalidArgument,
                   "malformed JWT");
  }
  // Oversized or deeply nested headers are refused before any heavy parsing.
  ExpectRejected(SignCompact(key(),
                             absl::StrCat("{\"alg\":\"", AlgorithmName(GetParam()),
                                          "\",\"kid\":\"", key().kid(), "\",\"pad\":\"",
                                          std::string(800, 'x'), "\"}"),
                             ClaimsJson()),
                 absl::StatusCode::kInvalidArgument, "header longer than 1024 bytes");
  ExpectRejected(SignCompact(key(),
                             absl::StrCat("{\"alg\":\"", AlgorithmName(GetParam()),
                                          "\",\"kid\":\"", key().kid(), "\",\"x\":",
                                          std::string(300, '['), std::string(300, ']'), "}"),
                             ClaimsJson()),
                 absl::StatusCode::kInvalidArgument, "nested deeper than 32 levels");
  // A header of the wrong shape.
  ExpectRejected(SignCompact(key(),
                             absl::StrCat("{\"alg\":\"", AlgorithmName(GetParam()),
                                          "\",\"kid\":7}"),
                             ClaimsJson()),
                 absl::StatusCode::kInvalidArgument, "\"kid\" must be a string");
  // Duplicate header members (RFC 7515 §4: reject).
  ExpectRejected(SignCompact(key(),
                             absl::StrCat("{\"alg\":\"", AlgorithmName(GetParam()),
                                          "\",\"alg\":\"none\",\"kid\":\"", key().kid(), "\"}"),
                             ClaimsJson()),
                 absl::StatusCode::kInvalidArgument, "malformed JWT");
}

TEST_P(JwtTest, ExpiryWithLeeway) {
  const std::string token = SignCompact(key(), Header(AlgorithmName(GetParam())),
                                        ClaimsJson(/*exp=*/kNow - 10));
  absl::StatusOr<VerifiedJwt> jwt = Set().VerifyJwt(token);
  ASSERT_TRUE(jwt.ok()) << jwt.status();  // Signature fine; expiry is separate.
  absl::Status status = ValidateAccessTokenClaims(*jwt, kIssuer, Now(), absl::Seconds(5));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(absl::StrContains(status.message(), "expired at 2023-11-14T22:13:10")) << status;
  EXPECT_TRUE(ValidateAccessTokenClaims(*jwt, kIssuer, Now(), absl::Seconds(11)).ok());
  // Exactly at exp + leeway is expired (RFC 7519 §4.1.4: "on or after").
  EXPECT_FALSE(ValidateAccessTokenClaims(*jwt, kIssuer, Now(), absl::Seconds(10)).ok());
  // Negative leeway counts as zero.
  EXPECT_FALSE(ValidateAccessTokenClaims(*jwt, kIssuer, Now() - absl::Seconds(10),
                                         absl::Seconds(-100))
                   .ok());
}

TEST_P(JwtTest, NotBeforeWithLeeway) {
  AccessTokenClaims claims = Claims();
  claims.nbf = kNow + 20;
  claims.exp = kNow + 600;
  absl::StatusOr<VerifiedJwt> jwt = Set().VerifyJwt(Token(claims));
  ASSERT_TRUE(jwt.ok()) << jwt.status();
  absl::Status status = ValidateAccessTokenClaims(*jwt, kIssuer, Now(), absl::Seconds(10));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(absl::StrContains(status.message(), "not valid before")) << status;
  EXPECT_TRUE(ValidateAccessTokenClaims(*jwt, kIssuer, Now(), absl::Seconds(20)).ok());
  EXPECT_TRUE(
      ValidateAccessTokenClaims(*jwt, kIssuer, Now() + absl::Seconds(20), absl::ZeroDuration())
          .ok());
}

TEST_P(JwtTest, IssuedInTheFutureRejected) {
  AccessTokenClaims claims = Claims();
  claims.iat = kNow + 60;
  claims.exp = kNow + 600;
  absl::StatusOr<VerifiedJwt> jwt = Set().VerifyJwt(Token(claims));
  ASSERT_TRUE(jwt.ok());
  EXPECT_FALSE(ValidateAccessTokenClaims(*jwt, kIssuer, Now(), absl::Seconds(30)).ok());
  EXPECT_TRUE(ValidateAccessTokenClaims(*jwt, kIssuer, Now(), absl::Seconds(60)).ok());
}

TEST_P(JwtTest, WrongIssuerRejected) {
  absl::StatusOr<VerifiedJwt> jwt = Set().VerifyJwt(Token());
  ASSERT_TRUE(jwt.ok());
  absl::Status status =
      ValidateAccessTokenClaims(*jwt, "https://evil.example.com", Now(), absl::ZeroDuration());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(absl::StrContains(status.message(), "issuer")) << status;
  // Prefix/suffix variants do not match either.
  EXPECT_FALSE(ValidateAccessTokenClaims(*jwt, absl::StrCat(kIssuer, "/"), Now(),
                                         absl::ZeroDuration())
                   .ok());
}

TEST_P(JwtTest, WrongTypRejected) {
  for (const char* typ : {"JWT", "at+JWT-x", "", "jwt"}) {
    absl::StatusOr<VerifiedJwt> jwt =
        Set().VerifyJwt(SignCompact(key(), Header(AlgorithmName(GetParam()), typ), ClaimsJson()));
    ASSERT_TRUE(jwt.ok()) << jwt.status();
    absl::Status status = ValidateAccessTokenClaims(*jwt, kIssuer, Now(), absl::ZeroDuration());
    EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated) << typ;
    EXPECT_TRUE(absl::StrContains(status.message(), "typ")) << status;
  }
  // Missing typ.
  const std::string header = absl::StrCat("{\"alg\":\"", AlgorithmName(GetParam()),
                                          "\",\"kid\":\"", key().kid(), "\"}");
  absl::StatusOr<VerifiedJwt> jwt = Set().VerifyJwt(SignCompact(key(), header, ClaimsJson()));
  ASSERT_TRUE(jwt.ok());
  EXPECT_FALSE(ValidateAccessTokenClaims(*jwt, kIssuer, Now(), absl::ZeroDuration()).ok());
  // The media-type spelling is accepted (RFC 9068 §4).
  jwt = Set().VerifyJwt(
      SignCompact(key(), Header(AlgorithmName(GetParam()), "application/AT+JWT"), ClaimsJson()));
  ASSERT_TRUE(jwt.ok());
  EXPECT_TRUE(ValidateAccessTokenClaims(*jwt, kIssuer, Now(), absl::ZeroDuration()).ok());
}

TEST_P(JwtTest, RequiredClaimsEnforced) {
  for (const char* missing : {"sub", "client_id", "jti", "aud", "iat", "exp", "iss"}) {
    std::string payload = ClaimsJson();
    // Rename the member so the claim is absent.
    const size_t at = payload.find(absl::StrCat("\"", missing, "\""));
    ASSERT_NE(at, std::string::npos) << missing;
    payload.insert(at + 1, "x_");
    absl::StatusOr<VerifiedJwt> jwt =
        Set().VerifyJwt(SignCompact(key(), Header(AlgorithmName(GetParam())), payload));
    ASSERT_TRUE(jwt.ok()) << jwt.status();
    absl::Status status = ValidateAccessTokenClaims(*jwt, kIssuer, Now(), absl::ZeroDuration());
    EXPECT_FALSE(status.ok()) << missing;
    EXPECT_TRUE(absl::StrContains(status.message(), missing)) << status;
  }
}

TEST_P(JwtTest, VerifiesAfterJwksRoundTrip) {
  // What a resource server does: fetch the JWKS, build a KeySet, verify.
  const std::string jwks = RenderJwks(Set().Jwks());
  absl::StatusOr<KeySet> fetched = KeySet::FromJwksJson(jwks);
  ASSERT_TRUE(fetched.ok()) << fetched.status();
  EXPECT_EQ(fetched->size(), 3u);
  absl::StatusOr<VerifiedJwt> jwt = fetched->VerifyJwt(Token());
  ASSERT_TRUE(jwt.ok()) << jwt.status();
  EXPECT_EQ(jwt->claims.sub, "user-42");
}

INSTANTIATE_TEST_SUITE_P(AllAlgorithms, JwtTest,
                         ::testing::Values(Algorithm::kRs256, Algorithm::kEs256,
                                           Algorithm::kEdDsa),
                         [](const auto& info) { return std::string(AlgorithmName(info.param)); });

TEST(EncodeJwtTest, RejectsInvalidClaims) {
  const SigningKey& key = TestKey(Algorithm::kEs256);
  std::vector<std::pair<std::string, AccessTokenClaims>> cases;
  AccessTokenClaims c = Claims();
  c.iss.clear();
  cases.push_back({"iss", c});
  c = Claims();
  c.aud.clear();
  cases.push_back({"aud", c});
  c = Claims();
  c.aud = {"ok", ""};
  cases.push_back({"aud", c});
  c = Claims();
  c.exp = 0;
  cases.push_back({"exp", c});
  c = Claims();
  c.iat = -1;
  cases.push_back({"iat", c});
  c = Claims();
  c.exp = int64_t{1} << 60;
  cases.push_back({"exp", c});
  c = Claims();
  c.jti.clear();
  cases.push_back({"jti", c});
  c = Claims();
  c.client_id.clear();
  cases.push_back({"client_id", c});
  c = Claims();
  c.scope = "bad \xff utf8";
  cases.push_back({"scope", c});
  for (const auto& [claim, claims] : cases) {
    absl::StatusOr<std::string> token = EncodeJwt(key, claims);
    EXPECT_EQ(token.status().code(), absl::StatusCode::kInvalidArgument) << claim;
    EXPECT_TRUE(absl::StrContains(token.status().message(), claim)) << token.status();
  }
}

TEST(KeySetTest, EmptySetRejectsEverything) {
  KeySet empty;
  absl::StatusOr<VerifiedJwt> jwt =
      empty.VerifyJwt(EncodeJwt(TestKey(Algorithm::kEs256), Claims()).value());
  EXPECT_EQ(jwt.status().code(), absl::StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace oauthd::jose
