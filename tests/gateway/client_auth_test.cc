#include "server/gateway/client_auth.h"

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace oauthd::gateway {
namespace {

std::string Basic(absl::string_view user_pass) { return "Basic " + absl::Base64Escape(user_pass); }

TEST(ParseBasicAuthorizationTest, DecodesIdAndSecret) {
  auto creds = ParseBasicAuthorization(Basic("client:s3cret"));
  ASSERT_TRUE(creds.ok()) << creds.status();
  EXPECT_EQ(creds->client_id, "client");
  EXPECT_EQ(creds->client_secret, "s3cret");
}

TEST(ParseBasicAuthorizationTest, FormDecodesAfterBase64PerRfc6749Section2_3_1) {
  // id "a:b c", secret "p%+&=:" encoded with application/x-www-form-urlencoded.
  auto creds = ParseBasicAuthorization(Basic("a%3Ab+c:p%25%2B%26%3D%3A"));
  ASSERT_TRUE(creds.ok()) << creds.status();
  EXPECT_EQ(creds->client_id, "a:b c");
  EXPECT_EQ(creds->client_secret, "p%+&=:");
}

TEST(ParseBasicAuthorizationTest, SplitsAtFirstColon) {
  auto creds = ParseBasicAuthorization(Basic("id:se:cret"));
  ASSERT_TRUE(creds.ok());
  EXPECT_EQ(creds->client_secret, "se:cret");
}

TEST(ParseBasicAuthorizationTest, SchemeIsCaseInsensitiveAndPaddingOptional) {
  EXPECT_TRUE(ParseBasicAuthorization("bAsIc " + absl::Base64Escape("id:x")).ok());
  // "id:xy" encodes to "aWQ6eHk=": without the padding it still decodes.
  auto creds = ParseBasicAuthorization("Basic aWQ6eHk");
  ASSERT_TRUE(creds.ok()) << creds.status();
  EXPECT_EQ(creds->client_secret, "xy");
}

TEST(ParseBasicAuthorizationTest, EmptySecretIsKept) {
  auto creds = ParseBasicAuthorization(Basic("public:"));
  ASSERT_TRUE(creds.ok());
  EXPECT_EQ(creds->client_id, "public");
  EXPECT_EQ(creds->client_secret, "");
}

TEST(ParseBasicAuthorizationTest, RejectsMalformedAsInvalidClient) {
  for (const std::string& header :
       {std::string("Bearer abc"), std::string("Basic"), std::string("Basic !!!"),
        std::string("Basic a b"), Basic("no-colon"), Basic(":secret"), Basic("%zz:x"),
        Basic("id:%FF"), std::string("Basic ") + "aWQ6eHk=="}) {
    auto creds = ParseBasicAuthorization(header);
    EXPECT_FALSE(creds.ok()) << header;
    EXPECT_EQ(creds.status().code(), absl::StatusCode::kUnauthenticated) << header;
  }
}

FormParameters Form(absl::string_view encoded) { return *FormParameters::Parse(encoded); }

TEST(ExtractClientAuthenticationTest, Basic) {
  auto auth = ExtractClientAuthentication(Basic("c1:s1"), Form("grant_type=client_credentials"));
  ASSERT_TRUE(auth.ok()) << auth.status();
  EXPECT_TRUE(auth->used_authorization_header);
  EXPECT_EQ(auth->client.client_id(), "c1");
  EXPECT_EQ(auth->client.client_secret(), "s1");
}

TEST(ExtractClientAuthenticationTest, TellsHowTheSecretCame) {
  auto basic = ExtractClientAuthentication(Basic("c1:s1"), Form("grant_type=client_credentials"));
  ASSERT_TRUE(basic.ok());
  EXPECT_EQ(basic->client.client_secret_method(), "client_secret_basic");
  auto post = ExtractClientAuthentication(std::nullopt, Form("client_id=c1&client_secret=s1"));
  ASSERT_TRUE(post.ok());
  EXPECT_EQ(post->client.client_secret_method(), "client_secret_post");
  // No secret (a public client, an assertion): no secret method.
  for (absl::string_view form :
       {"client_id=c1",
        "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
        "&client_assertion=x"}) {
    auto none = ExtractClientAuthentication(std::nullopt, Form(form));
    ASSERT_TRUE(none.ok()) << form;
    EXPECT_EQ(none->client.client_secret_method(), "") << form;
  }
}

TEST(ExtractClientAuthenticationTest, BasicWithMatchingFormClientIdIsAccepted) {
  auto auth = ExtractClientAuthentication(Basic("c1:s1"), Form("client_id=c1"));
  ASSERT_TRUE(auth.ok()) << auth.status();
  EXPECT_EQ(auth->client.client_id(), "c1");
}

TEST(ExtractClientAuthenticationTest, BasicWithOtherFormClientIdIsInvalidRequest) {
  auto auth = ExtractClientAuthentication(Basic("c1:s1"), Form("client_id=c2"));
  ASSERT_FALSE(auth.ok());
  EXPECT_EQ(auth.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ExtractClientAuthenticationTest, TwoMethodsAreInvalidRequest) {
  for (absl::string_view form :
       {"client_id=c1&client_secret=s1", "client_secret=s1",
        "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
        "&client_assertion=x"}) {
    auto auth = ExtractClientAuthentication(Basic("c1:s1"), Form(form));
    ASSERT_FALSE(auth.ok()) << form;
    EXPECT_EQ(auth.status().code(), absl::StatusCode::kInvalidArgument) << form;
  }
  auto both_in_form = ExtractClientAuthentication(
      std::nullopt, Form("client_id=c&client_secret=s&client_assertion=x"));
  ASSERT_FALSE(both_in_form.ok());
  EXPECT_EQ(both_in_form.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ExtractClientAuthenticationTest, ClientSecretPost) {
  auto auth = ExtractClientAuthentication(std::nullopt, Form("client_id=c1&client_secret=s+1"));
  ASSERT_TRUE(auth.ok()) << auth.status();
  EXPECT_FALSE(auth->used_authorization_header);
  EXPECT_EQ(auth->client.client_id(), "c1");
  EXPECT_EQ(auth->client.client_secret(), "s 1");
}

TEST(ExtractClientAuthenticationTest, PublicClientSendsOnlyClientId) {
  auto auth = ExtractClientAuthentication(std::nullopt, Form("client_id=spa"));
  ASSERT_TRUE(auth.ok()) << auth.status();
  EXPECT_EQ(auth->client.client_id(), "spa");
  EXPECT_EQ(auth->client.client_secret(), "");
}

TEST(ExtractClientAuthenticationTest, NoAuthenticationIsLeftToOauthd) {
  auto auth = ExtractClientAuthentication(std::nullopt, Form("grant_type=client_credentials"));
  ASSERT_TRUE(auth.ok()) << auth.status();
  EXPECT_EQ(auth->client.client_id(), "");
}

TEST(ExtractClientAuthenticationTest, MalformedHeaderIsInvalidClient) {
  auto auth = ExtractClientAuthentication("Basic %%%", Form("a=b"));
  ASSERT_FALSE(auth.ok());
  EXPECT_EQ(auth.status().code(), absl::StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace oauthd::gateway
