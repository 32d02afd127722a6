// base64url (RFC 4648 §5) and the JSON helpers.

#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "server/jose/base64url.h"
#include "server/jose/json_reader.h"
#include "server/jose/json_writer.h"

namespace oauthd::jose {
namespace {

TEST(Base64UrlTest, EncodesWithoutPadding) {
  EXPECT_EQ(Base64UrlEncode(""), "");
  EXPECT_EQ(Base64UrlEncode("f"), "Zg");
  EXPECT_EQ(Base64UrlEncode("fo"), "Zm8");
  EXPECT_EQ(Base64UrlEncode("foo"), "Zm9v");
  EXPECT_EQ(Base64UrlEncode("\xfb\xff\xfe"), "-__-");
}

TEST(Base64UrlTest, AppendKeepsPrefix) {
  std::string out = "abc.";
  Base64UrlAppend("foo", &out);
  EXPECT_EQ(out, "abc.Zm9v");
}

TEST(Base64UrlTest, DecodesRoundTrip) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t len = 0; len <= all.size(); len += 7) {
    const std::string data = all.substr(0, len);
    absl::StatusOr<std::string> decoded = Base64UrlDecode(Base64UrlEncode(data));
    ASSERT_TRUE(decoded.ok()) << len;
    EXPECT_EQ(*decoded, data);
  }
}

TEST(Base64UrlTest, RejectsNonCanonicalInput) {
  for (const char* bad : {"Zg==", "Zm9v=", "Zm+v", "Zm/v", "Zm9v ", " Zm9v", "Zm\n9v", "Z",
                          "Zm9vY", "Zh", "Zm9", "Zm9v.Zg", "Zm9\xc3\xa9"}) {
    EXPECT_FALSE(Base64UrlDecode(bad).ok()) << bad;
  }
  // "Zh" and "Zm9" carry non-zero unused bits; "Zg" and "Zm8" are canonical.
  EXPECT_TRUE(Base64UrlDecode("Zg").ok());
  EXPECT_TRUE(Base64UrlDecode("Zm8").ok());
  EXPECT_EQ(Base64UrlDecode("").value(), "");
}

std::string Json(absl::string_view s) {
  std::string out;
  AppendJsonString(s, &out);
  return out;
}

TEST(JsonWriterTest, EscapesQuotesBackslashAndControls) {
  EXPECT_EQ(Json(""), "\"\"");
  EXPECT_EQ(Json("plain"), "\"plain\"");
  EXPECT_EQ(Json("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(Json(std::string("\x00\x01\n\x1f", 4)), "\"\\u0000\\u0001\\u000a\\u001f\"");
  EXPECT_EQ(Json("\x7f/"), "\"\x7f/\"");
  EXPECT_EQ(Json("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
}

TEST(JsonWriterTest, EscapedOutputParsesBack) {
  const std::string tricky = "q\"b\\s/\x01\t\n\r end \xc3\xa9";
  const std::string doc = "{\"k\":" + Json(tricky) + "}";
  absl::StatusOr<google::protobuf::Struct> parsed = ParseJsonObject(doc);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->fields().at("k").string_value(), tricky);
}

TEST(JsonWriterTest, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("ascii"));
  EXPECT_TRUE(IsValidUtf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));              // Truncated.
  EXPECT_FALSE(IsValidUtf8("\x80"));              // Stray continuation.
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // Overlong '/'.
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));      // Overlong.
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // Surrogate U+D800.
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // Above U+10FFFF.
  EXPECT_FALSE(IsValidUtf8("\xff"));
}

TEST(JsonReaderTest, ParsesObjectsOnly) {
  EXPECT_TRUE(ParseJsonObject("{\"a\":1}").ok());
  for (const char* bad : {"", "[1]", "1", "\"s\"", "{\"a\":1", "{\"a\":1}x", "{\"a\":NaN}",
                          "{\"a\":1,\"a\":2}", "{\"a\":\"\xff\"}"}) {
    absl::StatusOr<google::protobuf::Struct> parsed = ParseJsonObject(bad);
    EXPECT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(parsed.status().message()).find('\n'), std::string::npos)
        << "error must be one line: " << parsed.status();
  }
}

TEST(JsonReaderTest, BoundsNestingDepth) {
  auto nested = [](int arrays) {
    return "{\"a\":" + std::string(arrays, '[') + std::string(arrays, ']') + "}";
  };
  EXPECT_TRUE(ParseJsonObject(nested(kMaxJsonDepth - 1)).ok());
  EXPECT_FALSE(ParseJsonObject(nested(kMaxJsonDepth)).ok());
  // Protobuf alone would spend seconds on this; the pre-scan refuses it at once.
  absl::StatusOr<google::protobuf::Struct> deep = ParseJsonObject(nested(100000));
  EXPECT_EQ(deep.status().code(), absl::StatusCode::kInvalidArgument);
  // Brackets and escaped quotes inside strings do not count.
  EXPECT_TRUE(ParseJsonObject("{\"s\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"[[[\"}").ok());
}

TEST(JsonReaderTest, IntegersFromDoubles) {
  absl::StatusOr<google::protobuf::Struct> doc = ParseJsonObject(
      "{\"ok\":1700000000,\"neg\":-5,\"max\":9007199254740991,\"big\":9007199254740992,"
      "\"frac\":1.5,\"exp\":1e3,\"str\":\"1\",\"nul\":null}");
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(GetOptionalInt64(*doc, "ok").value(), 1700000000);
  EXPECT_EQ(GetOptionalInt64(*doc, "neg").value(), -5);
  EXPECT_EQ(GetOptionalInt64(*doc, "max").value(), 9007199254740991);
  EXPECT_EQ(GetOptionalInt64(*doc, "exp").value(), 1000);
  EXPECT_FALSE(GetOptionalInt64(*doc, "absent").value().has_value());
  EXPECT_FALSE(GetOptionalInt64(*doc, "big").ok());
  EXPECT_FALSE(GetOptionalInt64(*doc, "frac").ok());
  EXPECT_FALSE(GetOptionalInt64(*doc, "str").ok());
  EXPECT_FALSE(GetOptionalInt64(*doc, "nul").ok());
  EXPECT_FALSE(GetOptionalString(*doc, "ok").ok());
  EXPECT_EQ(GetOptionalString(*doc, "str").value(), "1");
}

}  // namespace
}  // namespace oauthd::jose
