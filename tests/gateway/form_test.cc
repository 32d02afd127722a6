#include "server/gateway/form.h"

#include <string>

#include "gtest/gtest.h"

namespace oauthd::gateway {
namespace {

TEST(FormUrlDecodeTest, DecodesPlusAndPercent) {
  EXPECT_EQ(*FormUrlDecode("a+b%20c%2Bd%3a"), "a b c+d:");
  EXPECT_EQ(*FormUrlDecode(""), "");
  EXPECT_EQ(*FormUrlDecode("%C3%A9"), "\xc3\xa9");
}

TEST(FormUrlDecodeTest, RejectsMalformedPercent) {
  EXPECT_FALSE(FormUrlDecode("%").ok());
  EXPECT_FALSE(FormUrlDecode("a%2").ok());
  EXPECT_FALSE(FormUrlDecode("%zz").ok());
  EXPECT_FALSE(FormUrlDecode("%2g").ok());
}

TEST(UrlEncodeTest, KeepsOnlyUnreserved) {
  EXPECT_EQ(UrlEncode("aZ09-._~"), "aZ09-._~");
  EXPECT_EQ(UrlEncode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
  EXPECT_EQ(*FormUrlDecode(UrlEncode("x+y %\n")), "x+y %\n");
}

TEST(IsValidUtf8Test, AcceptsWellFormed) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("ascii"));
  EXPECT_TRUE(IsValidUtf8("\xc3\xa9"));          // é
  EXPECT_TRUE(IsValidUtf8("\xe2\x82\xac"));      // €
  EXPECT_TRUE(IsValidUtf8("\xf0\x9f\x98\x80"));  // U+1F600
  EXPECT_TRUE(IsValidUtf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF
}

TEST(IsValidUtf8Test, RejectsMalformed) {
  EXPECT_FALSE(IsValidUtf8(std::string("a\0b", 3)));  // NUL
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\x80"));                  // lone continuation
  EXPECT_FALSE(IsValidUtf8("\xc3"));                  // truncated
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));              // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));          // surrogate D800
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));      // > U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xf8\x88\x80\x80\x80"));  // 5-byte form
}

TEST(FormParametersTest, ParsesPairs) {
  auto form = FormParameters::Parse("grant_type=client_credentials&scope=read+write&x=%3D");
  ASSERT_TRUE(form.ok()) << form.status();
  EXPECT_EQ(form->Get("grant_type"), "client_credentials");
  EXPECT_EQ(form->Get("scope"), "read write");
  EXPECT_EQ(form->Get("x"), "=");
  EXPECT_EQ(form->Get("missing"), "");
  EXPECT_FALSE(form->Has("missing"));
  EXPECT_EQ(form->pairs().size(), 3u);
}

TEST(FormParametersTest, EmptyValuesAreOmitted) {
  auto form = FormParameters::Parse("scope=&state&&code=abc&=orphan");
  ASSERT_TRUE(form.ok()) << form.status();
  EXPECT_FALSE(form->Has("scope"));
  EXPECT_FALSE(form->Has("state"));
  EXPECT_EQ(form->Get("code"), "abc");
  EXPECT_EQ(form->pairs().size(), 1u);
}

TEST(FormParametersTest, EmptyDuplicateDoesNotCount) {
  auto form = FormParameters::Parse("scope=&scope=read");
  ASSERT_TRUE(form.ok()) << form.status();
  EXPECT_EQ(form->Get("scope"), "read");
}

TEST(FormParametersTest, RejectsRepeatedParameter) {
  auto form = FormParameters::Parse("grant_type=password&grant_type=password");
  ASSERT_FALSE(form.ok());
  EXPECT_EQ(form.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(form.status().message(), "parameter 'grant_type' is repeated");
}

TEST(FormParametersTest, DuplicateDetectionUsesDecodedNames) {
  EXPECT_FALSE(FormParameters::Parse("scope=a&%73cope=b").ok());
}

TEST(FormParametersTest, RepeatableNamesMayRepeat) {
  auto form =
      FormParameters::Parse("resource=https%3A%2F%2Fa&resource=https%3A%2F%2Fb&x=1", {"resource"});
  ASSERT_TRUE(form.ok()) << form.status();
  EXPECT_EQ(form->GetAll("resource"), (std::vector<std::string>{"https://a", "https://b"}));
  EXPECT_EQ(form->Get("resource"), "https://a");
  EXPECT_FALSE(FormParameters::Parse("resource=a&resource=b").ok());
}

TEST(FormParametersTest, RejectsInvalidUtf8) {
  auto bad_value = FormParameters::Parse("username=%FF");
  ASSERT_FALSE(bad_value.ok());
  EXPECT_EQ(bad_value.status().message(), "the value of 'username' is not valid UTF-8");
  EXPECT_FALSE(FormParameters::Parse("%C3=1").ok());
  EXPECT_FALSE(FormParameters::Parse("a=%00").ok());
  // Raw (unencoded) bytes are checked too.
  EXPECT_FALSE(FormParameters::Parse("a=\xc3").ok());
  EXPECT_TRUE(FormParameters::Parse("a=\xc3\xa9").ok());
}

TEST(FormParametersTest, RejectsMalformedEncoding) {
  auto form = FormParameters::Parse("code=%zz");
  ASSERT_FALSE(form.ok());
  EXPECT_EQ(form.status().message(), "malformed percent-encoding in 'code'");
}

TEST(FormParametersTest, ErrorMessagesNeverQuoteUnsafeNames) {
  auto form = FormParameters::Parse("a%22b=1&a%22b=2");
  ASSERT_FALSE(form.ok());
  EXPECT_EQ(form.status().message(), "parameter a parameter is repeated");
}

}  // namespace
}  // namespace oauthd::gateway
