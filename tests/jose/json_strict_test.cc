// The JSON reader accepts RFC 8259 and nothing else. JOSE headers are parsed
// before any signature check, so every leniency is attacker-reachable: a
// second spelling of one header, or a shape that slips past a pre-check.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/jose/json_reader.h"
#include "server/jose/jwt.h"
#include "server/jose/key_set.h"
#include "tests/jose/test_keys.h"

namespace oauthd::jose {
namespace {

using ::oauthd::jose::testing::SignCompact;
using ::oauthd::jose::testing::TestKey;

void ExpectRejected(const std::vector<std::string>& documents) {
  for (const std::string& json : documents) {
    absl::StatusOr<google::protobuf::Struct> parsed = ParseJsonObject(json);
    EXPECT_FALSE(parsed.ok()) << "accepted: " << json;
    if (!parsed.ok()) {
      EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_EQ(std::string(parsed.status().message()).find('\n'), std::string::npos);
    }
  }
}

TEST(JsonStrictTest, SingleQuotesRejected) {
  ExpectRejected({"{'a':1}", "{\"a\":'b'}", "{\"a\":['b']}"});
}

TEST(JsonStrictTest, UnquotedNamesAndBareWordsRejected) {
  ExpectRejected({"{a:1}", "{\"a\":b}", "{\"a\":True}", "{\"a\":nul}", "{\"a\":Infinity}",
                  "{\"a\":-Infinity}", "{\"a\":NaN}", "{\"a\":undefined}"});
}

TEST(JsonStrictTest, TrailingCommasRejected) {
  ExpectRejected({"{\"a\":1,}", "{\"a\":[1,]}", "{\"a\":[1,,2]}", "{,}", "{\"a\":[,]}",
                  "{\"a\":1,,\"b\":2}"});
}

TEST(JsonStrictTest, CommentsRejected) {
  ExpectRejected({"{\"a\":1}//x", "{/*x*/\"a\":1}", "{\"a\":1 /* x */}", "{\"a\":#x\n1}"});
}

TEST(JsonStrictTest, NonRfcNumbersRejected) {
  ExpectRejected({"{\"a\":01}", "{\"a\":-01}", "{\"a\":00}", "{\"a\":+1}", "{\"a\":.5}",
                  "{\"a\":1.}", "{\"a\":1e}", "{\"a\":1e+}", "{\"a\":0x10}", "{\"a\":-}",
                  "{\"a\":1.5.5}", "{\"a\":1e400}", "{\"a\":-1e400}"});
}

TEST(JsonStrictTest, BadEscapesRejected) {
  ExpectRejected({"{\"a\":\"\\x41\"}", "{\"a\":\"\\'\"}", "{\"a\":\"\\U0041\"}",
                  "{\"a\":\"\\u00\"}", "{\"a\":\"\\u00g1\"}", "{\"a\":\"\\\"}",
                  "{\"a\":\"\\a\"}", "{\"a\":\"\\0\"}"});
}

TEST(JsonStrictTest, LoneSurrogatesRejected) {
  ExpectRejected({"{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00\"}", "{\"a\":\"\\ud800x\"}",
                  "{\"a\":\"\\ud800\\u0041\"}", "{\"a\":\"\\ud800\\ud800\"}",
                  "{\"a\":\"\\udfff\\ud800\"}", "{\"\\ud83d\":1}"});
}

TEST(JsonStrictTest, ControlCharactersInStringsRejected) {
  ExpectRejected({std::string("{\"a\":\"x\ny\"}"), std::string("{\"a\":\"\t\"}"),
                  std::string("{\"a\":\"\x01\"}"), std::string("{\"a\":\"\x1f\"}"),
                  std::string("{\"a\":\"") + '\0' + "\"}", std::string("{\"a\x01\":1}")});
  // DEL and an escaped NUL are fine.
  EXPECT_TRUE(ParseJsonObject("{\"a\\u0000\x7f\":1}").ok());
}

TEST(JsonStrictTest, OnlyJsonWhitespaceAndNothingAfterTheRoot) {
  ExpectRejected({"\xef\xbb\xbf{}", "{\"a\":1}\v", "\f{}", "{} {}", "{}]",
                  std::string("{}\0", 3), "{\"a\":1}\xc2\xa0"});
  EXPECT_TRUE(ParseJsonObject(" \t\r\n{ \"a\" : [ 1 , 2 ] }\r\n\t ").ok());
}

TEST(JsonStrictTest, DuplicateNamesRejectedAtEveryLevel) {
  ExpectRejected({"{\"a\":1,\"a\":1}", "{\"a\":1,\"b\":{\"c\":1,\"c\":2}}",
                  // The same name spelled with an escape is still the same name.
                  "{\"a\":1,\"\\u0061\":2}"});
}

TEST(JsonStrictTest, SingleQuotesCannotHideNestingFromTheDepthBound) {
  // Inside '...' a '"' is an ordinary character; a scanner that knows only
  // double-quoted strings would think the brackets after it are in a string.
  const std::string hidden = absl::StrCat("{\"a\":'\"',\"b\":", std::string(40, '['),
                                          std::string(40, ']'), "}");
  ExpectRejected({hidden});
}

TEST(JsonStrictTest, DepthBoundCountsEveryContainer) {
  auto objects = [](int depth) {
    std::string json;
    for (int i = 0; i < depth; ++i) json += "{\"a\":";
    json += "1";
    json += std::string(depth, '}');
    return json;
  };
  EXPECT_TRUE(ParseJsonObject(objects(kMaxJsonDepth)).ok());
  absl::StatusOr<google::protobuf::Struct> deep = ParseJsonObject(objects(kMaxJsonDepth + 1));
  ASSERT_FALSE(deep.ok());
  EXPECT_TRUE(absl::StrContains(deep.status().message(), "nested deeper than 32 levels"))
      << deep.status();
  // A million unclosed brackets fail as fast as a short document.
  EXPECT_FALSE(ParseJsonObject(absl::StrCat("{\"a\":", std::string(1000000, '['))).ok());
}

TEST(JsonStrictTest, ValidDocumentsDecodeExactly) {
  absl::StatusOr<google::protobuf::Struct> doc = ParseJsonObject(
      "{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\",\"u\":\"\\u00e9\\u20AC\\ud83d\\ude00\","
      "\"raw\":\"\xc3\xa9\",\"nul\":\"\\u0000\",\"n\":[0,-0,1.5,-2e3,1E+2,1e-2],"
      "\"t\":true,\"f\":false,\"z\":null,\"o\":{},\"e\":[],\"\":\"empty name\"}");
  ASSERT_TRUE(doc.ok()) << doc.status();
  const auto& f = doc->fields();
  EXPECT_EQ(f.at("s").string_value(), "\"\\/\b\f\n\r\t");
  EXPECT_EQ(f.at("u").string_value(), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  EXPECT_EQ(f.at("raw").string_value(), "\xc3\xa9");
  EXPECT_EQ(f.at("nul").string_value(), std::string(1, '\0'));
  const auto& n = f.at("n").list_value();
  ASSERT_EQ(n.values_size(), 6);
  EXPECT_EQ(n.values(2).number_value(), 1.5);
  EXPECT_EQ(n.values(3).number_value(), -2000);
  EXPECT_EQ(n.values(4).number_value(), 100);
  EXPECT_EQ(n.values(5).number_value(), 0.01);
  EXPECT_TRUE(f.at("t").bool_value());
  EXPECT_FALSE(f.at("f").bool_value());
  EXPECT_EQ(f.at("z").kind_case(), google::protobuf::Value::kNullValue);
  EXPECT_EQ(f.at("o").kind_case(), google::protobuf::Value::kStructValue);
  EXPECT_EQ(f.at("e").kind_case(), google::protobuf::Value::kListValue);
  EXPECT_EQ(f.at("").string_value(), "empty name");
}

// A JOSE header that is not strict JSON is refused by KeySet::VerifyJwt even
// when the signature over it is valid.
TEST(JsonStrictTest, VerifyJwtRefusesLenientHeaders) {
  const SigningKey& key = TestKey(Algorithm::kEs256);
  const KeySet set = KeySet::Create({VerificationKey::FromSigningKey(key)}).value();
  const std::string claims =
      "{\"iss\":\"https://as\",\"sub\":\"s\",\"aud\":\"a\",\"exp\":2000000000,"
      "\"iat\":1700000000,\"jti\":\"j\",\"client_id\":\"c\"}";
  const std::string kid = key.kid();
  ASSERT_TRUE(set.VerifyJwt(SignCompact(key, absl::StrCat("{\"alg\":\"ES256\",\"kid\":\"", kid,
                                                          "\"}"),
                                        claims))
                  .ok());
  for (const std::string& header : std::vector<std::string>{
           absl::StrCat("{'alg':'ES256','kid':'", kid, "'}"),
           absl::StrCat("{\"alg\":\"ES256\",\"kid\":\"", kid, "\",}"),
           absl::StrCat("{alg:\"ES256\",\"kid\":\"", kid, "\"}"),
           absl::StrCat("{\"alg\":\"ES256\",/**/\"kid\":\"", kid, "\"}"),
           absl::StrCat("{\"alg\":\"ES256\",\"kid\":\"", kid, "\",\"alg\":\"ES256\"}"),
           absl::StrCat("{\"alg\":\"ES256\",\"kid\":\"", kid, "\",\"kid\":\"", kid, "\"}"),
       }) {
    absl::StatusOr<VerifiedJwt> jwt = set.VerifyJwt(SignCompact(key, header, claims));
    EXPECT_FALSE(jwt.ok()) << "accepted header " << header;
    EXPECT_EQ(jwt.status().code(), absl::StatusCode::kInvalidArgument) << jwt.status();
  }
  // The same for the claims, through both the fast and the full claims reader.
  for (bool keep_payload : {false, true}) {
    VerifyJwtOptions options;
    options.keep_payload = keep_payload;
    for (const std::string& payload : std::vector<std::string>{
             "{'iss':'https://as'}", "{\"iss\":\"https://as\",}", "{\"exp\":01}",
             "{\"jti\":\"a\",\"jti\":\"b\"}", "{\"jti\":\"\\ud800\"}"}) {
      absl::StatusOr<VerifiedJwt> jwt = set.VerifyJwt(
          SignCompact(key, absl::StrCat("{\"alg\":\"ES256\",\"kid\":\"", kid, "\"}"), payload),
          options);
      EXPECT_FALSE(jwt.ok()) << "accepted claims " << payload;
    }
  }
}

}  // namespace
}  // namespace oauthd::jose
