#include "server/gateway/redirect.h"

#include "gtest/gtest.h"

namespace oauthd::gateway {
namespace {

TEST(AppendQueryParametersTest, AddsQuery) {
  EXPECT_EQ(AppendQueryParameters("https://app/cb", {{"code", "abc"}, {"state", "s 1"}}),
            "https://app/cb?code=abc&state=s%201");
}

TEST(AppendQueryParametersTest, KeepsExistingQuery) {
  EXPECT_EQ(AppendQueryParameters("https://app/cb?tenant=a&x=1", {{"code", "c"}}),
            "https://app/cb?tenant=a&x=1&code=c");
  EXPECT_EQ(AppendQueryParameters("https://app/cb?", {{"code", "c"}}), "https://app/cb?code=c");
  EXPECT_EQ(AppendQueryParameters("https://app/cb?a=1&", {{"code", "c"}}),
            "https://app/cb?a=1&code=c");
}

TEST(AppendQueryParametersTest, SkipsEmptyValuesAndDropsFragment) {
  EXPECT_EQ(
      AppendQueryParameters("https://app/cb#frag",
                            {{"error", "access_denied"}, {"state", ""}, {"iss", "https://as"}}),
      "https://app/cb?error=access_denied&iss=https%3A%2F%2Fas");
  EXPECT_EQ(AppendQueryParameters("https://app/cb", {{"state", ""}}), "https://app/cb");
}

TEST(AppendQueryParametersTest, EncodesReservedCharacters) {
  EXPECT_EQ(AppendQueryParameters("http://127.0.0.1:9/cb", {{"state", "a&b=c#d?e+f/é"}}),
            "http://127.0.0.1:9/cb?state=a%26b%3Dc%23d%3Fe%2Bf%2F%C3%A9");
}

}  // namespace
}  // namespace oauthd::gateway
