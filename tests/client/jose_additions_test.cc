// The server/jose additions made for the client library's Verifier:
// ParseSimpleJwtClaims (checked against the full parser), KeySet::VerifyJwt
// with keep_payload = false, and ValidateAccessTokenClaims' ClaimsProblem.

#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "server/jose/base64url.h"
#include "server/jose/json_reader.h"
#include "server/jose/jwt.h"
#include "server/jose/jwt_validation.h"
#include "server/jose/key_set.h"
#include "tests/jose/test_keys.h"

namespace oauthd::jose {
namespace {

using testing::TestKey;

// What the full parser makes of `json`, or nullopt if it refuses it.
std::optional<JwtClaims> FullParse(const std::string& json) {
  absl::StatusOr<google::protobuf::Struct> object = ParseJsonObject(json);
  if (!object.ok()) return std::nullopt;
  absl::StatusOr<JwtClaims> claims = ParseJwtClaims(*object);
  if (!claims.ok()) return std::nullopt;
  return *claims;
}

void ExpectSameClaims(const JwtClaims& a, const JwtClaims& b, const std::string& json) {
  EXPECT_EQ(a.iss, b.iss) << json;
  EXPECT_EQ(a.sub, b.sub) << json;
  EXPECT_EQ(a.aud, b.aud) << json;
  EXPECT_EQ(a.exp, b.exp) << json;
  EXPECT_EQ(a.nbf, b.nbf) << json;
  EXPECT_EQ(a.iat, b.iat) << json;
  EXPECT_EQ(a.jti, b.jti) << json;
  EXPECT_EQ(a.client_id, b.client_id) << json;
  EXPECT_EQ(a.scope, b.scope) << json;
  EXPECT_EQ(a.username, b.username) << json;
}

// Inputs the fast path must accept, with the full parser's result.
const std::vector<std::string>& Accepted() {
  static const auto* cases = new std::vector<std::string>{
      R"({})",
      R"({"iss":"https://issuer.test","sub":"alice","aud":"inv","exp":1700000600,"iat":1700000000,"jti":"j1","client_id":"c","scope":"a b"})",
      R"({"aud":["a","b",""],"exp":0,"nbf":-5,"iat":9007199254740991})",
      R"({"aud":[]})",
      R"( { "iss" : "x" , "sub":"y\"z\\w\/q\n\t\r\b\f" } )",
      R"({"username":"élise ☃","iss":"ü"})",
      R"({"extra":[1,"two",true,false,null],"other":null,"n":-0,"b":true})",
      R"({"exp":-0})",
      R"({"":"empty name"})",
      // \u escapes: the fast path shares the strict reader's string cursor.
      R"({"sub":"\u00e9","iss":"\ud83d\ude00"})",
  };
  return *cases;
}

// Inputs outside the fast path's subset (valid or not): it must say nullopt.
const std::vector<std::string>& Declined() {
  static const auto* cases = new std::vector<std::string>{
      "",
      "[]",
      "{",
      R"({"iss":"x",})",
      R"({"iss":"x"} trailing)",
      R"({"iss":"x","iss":"y"})",                 // repeated member
      R"({"a":1,"a":2})",
      R"({"nested":{"a":1}})",                   // nested object
      R"({"nested":[[1]]})",
      R"({"exp":1.5})",
      R"({"exp":1e3})",
      R"({"exp":1.0})",
      R"({"exp":9007199254740992})",             // beyond 2^53-1
      R"({"exp":12345678901234567})",            // 17 digits
      R"({"exp":"1700000000"})",                 // wrong type
      R"({"iss":null})",
      R"({"aud":[1]})",
      R"({"aud":{"x":1}})",
      R"({"exp":01})",
      R"({"x":tru})",
      R"({'iss':'x'})",                          // protobuf accepts single quotes
      R"({iss:"x"})",
      "{\"sub\":\"a\x01\"}",                     // raw control character
      "{\"sub\":\"\xff\"}",                      // invalid UTF-8
      "{\"sub\":\"\xed\xa0\x80\"}",              // encoded surrogate
  };
  return *cases;
}

TEST(ParseSimpleJwtClaimsTest, AgreesWithFullParserOnAcceptedInputs) {
  for (const std::string& json : Accepted()) {
    std::optional<JwtClaims> fast = ParseSimpleJwtClaims(json);
    std::optional<JwtClaims> full = FullParse(json);
    ASSERT_TRUE(fast.has_value()) << json;
    ASSERT_TRUE(full.has_value()) << json;
    ExpectSameClaims(*fast, *full, json);
  }
}

TEST(ParseSimpleJwtClaimsTest, DeclinesEverythingOutsideItsSubset) {
  for (const std::string& json : Declined()) {
    EXPECT_FALSE(ParseSimpleJwtClaims(json).has_value()) << json;
  }
}

// Every prefix and every single-byte change of a real claims set: whenever
// the fast path answers, the full parser agrees.
TEST(ParseSimpleJwtClaimsTest, NeverDisagreesOnMutations) {
  const std::string base =
      R"({"iss":"https://issuer.test","sub":"al\"ice","aud":["inv","x"],"exp":1700000600,)"
      R"("nbf":1700000000,"iat":1700000000,"jti":"j1","client_id":"c","scope":"a b","z":[null]})";
  std::vector<std::string> inputs;
  for (size_t i = 0; i <= base.size(); ++i) inputs.push_back(base.substr(0, i));
  for (size_t i = 0; i < base.size(); ++i) {
    for (char c : std::string("{}[]\",:0-9e.a \\n")) {
      std::string mutated = base;
      mutated[i] = c;
      inputs.push_back(mutated);
    }
  }
  int answered = 0;
  for (const std::string& json : inputs) {
    std::optional<JwtClaims> fast = ParseSimpleJwtClaims(json);
    if (!fast.has_value()) continue;
    ++answered;
    std::optional<JwtClaims> full = FullParse(json);
    ASSERT_TRUE(full.has_value()) << "fast path accepted what the full parser refuses: " << json;
    ExpectSameClaims(*fast, *full, json);
  }
  EXPECT_GT(answered, 100);
}

TEST(KeySetVerifyJwtTest, WithoutPayloadGivesTheSameClaims) {
  const SigningKey& key = TestKey(Algorithm::kEs256);
  AccessTokenClaims claims;
  claims.iss = "https://issuer.test";
  claims.sub = "alice";
  claims.aud = {"inv", "other"};
  claims.exp = 1700000600;
  claims.iat = 1700000000;
  claims.nbf = 1700000000;
  claims.jti = "j1";
  claims.client_id = "c";
  claims.scope = "read write";
  claims.username = "élise";
  absl::StatusOr<std::string> token = EncodeJwt(key, claims);
  ASSERT_TRUE(token.ok());
  // EncodeJwt's claims are inside the fast path's subset.
  const std::string payload = token->substr(token->find('.') + 1,
                                            token->rfind('.') - token->find('.') - 1);
  ASSERT_TRUE(ParseSimpleJwtClaims(*Base64UrlDecode(payload)).has_value());

  absl::StatusOr<KeySet> keys = KeySet::FromJwks({key.public_jwk()});
  ASSERT_TRUE(keys.ok());
  absl::StatusOr<VerifiedJwt> full = keys->VerifyJwt(*token);
  VerifyJwtOptions options;
  options.keep_payload = false;
  absl::StatusOr<VerifiedJwt> fast = keys->VerifyJwt(*token, options);
  ASSERT_TRUE(full.ok()) << full.status();
  ASSERT_TRUE(fast.ok()) << fast.status();
  ExpectSameClaims(fast->claims, full->claims, *token);
  EXPECT_EQ(fast->header.kid, full->header.kid);
  EXPECT_EQ(fast->header.typ, full->header.typ);
  EXPECT_EQ(fast->payload.fields_size(), 0);
  EXPECT_EQ(full->payload.fields_size(), 10);

  // Outside the subset the full parser decides, and its errors are kept.
  const std::string odd = testing::SignCompact(
      key, AccessTokenHeaderJson(Algorithm::kEs256, key.kid()),
      R"({"iss":"\u0078","sub":"s","aud":"a","exp":2,"iat":1,"jti":"j","client_id":"c"})");
  absl::StatusOr<VerifiedJwt> odd_claims = keys->VerifyJwt(odd, options);
  ASSERT_TRUE(odd_claims.ok()) << odd_claims.status();
  EXPECT_EQ(odd_claims->claims.iss, "x");
  EXPECT_EQ(odd_claims->payload.fields_size(), 0);
  const std::string bad_type = testing::SignCompact(
      key, AccessTokenHeaderJson(Algorithm::kEs256, key.kid()), R"({"exp":"soon"})");
  EXPECT_TRUE(absl::IsInvalidArgument(keys->VerifyJwt(bad_type, options).status()));
}

TEST(ValidateAccessTokenClaimsTest, ReportsWhichCheckFailed) {
  VerifiedJwt jwt;
  jwt.header.typ = "at+jwt";
  jwt.claims.iss = "https://issuer.test";
  jwt.claims.sub = "s";
  jwt.claims.aud = {"a"};
  jwt.claims.exp = 2000;
  jwt.claims.iat = 1000;
  jwt.claims.jti = "j";
  jwt.claims.client_id = "c";
  const absl::Time now = absl::FromUnixSeconds(1500);
  ClaimsProblem problem;
  EXPECT_TRUE(ValidateAccessTokenClaims(jwt, "https://issuer.test", now, absl::ZeroDuration(),
                                        &problem).ok());
  EXPECT_EQ(problem, ClaimsProblem::kNone);

  struct Case {
    std::function<void(VerifiedJwt&)> change;
    ClaimsProblem expected;
  };
  const std::vector<Case> cases = {
      {[](VerifiedJwt& j) { j.header.typ = "JWT"; }, ClaimsProblem::kWrongType},
      {[](VerifiedJwt& j) { j.header.typ.reset(); }, ClaimsProblem::kWrongType},
      {[](VerifiedJwt& j) { j.claims.iss = "other"; }, ClaimsProblem::kWrongIssuer},
      {[](VerifiedJwt& j) { j.claims.exp = 1500; }, ClaimsProblem::kExpired},
      {[](VerifiedJwt& j) { j.claims.exp.reset(); }, ClaimsProblem::kExpired},
      {[](VerifiedJwt& j) { j.claims.nbf = 1501; }, ClaimsProblem::kNotYetValid},
      {[](VerifiedJwt& j) { j.claims.iat = 1501; }, ClaimsProblem::kIssuedInFuture},
      {[](VerifiedJwt& j) { j.claims.jti.reset(); }, ClaimsProblem::kMissingClaim},
      {[](VerifiedJwt& j) { j.claims.aud.clear(); }, ClaimsProblem::kMissingClaim},
  };
  for (const Case& c : cases) {
    VerifiedJwt changed = jwt;
    c.change(changed);
    absl::Status status = ValidateAccessTokenClaims(changed, "https://issuer.test", now,
                                                    absl::ZeroDuration(), &problem);
    EXPECT_TRUE(absl::IsUnauthenticated(status));
    EXPECT_EQ(problem, c.expected) << status;
    // The four-argument form gives the same verdict.
    EXPECT_EQ(ValidateAccessTokenClaims(changed, "https://issuer.test", now,
                                        absl::ZeroDuration()),
              status);
  }
}

}  // namespace
}  // namespace oauthd::jose
