// The policy file: parsing with errors that name the line, and matching.

#include "server/authz/policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace oauthd::authz {
namespace {

using ::testing::HasSubstr;

constexpr char kPolicy[] = R"(
identity_headers:
  subject: X-User
remove_authorization: true
rules:
  - path_prefix: /public
    anonymous: true
  - host: api.example.com
    path_prefix: /orders
    methods: [get, HEAD]
    audience: orders-api
    scopes: [orders.read]
  - path_prefix: /orders
    audience: orders-api
    scopes: [orders.write]
  - path_prefix: /
    audience: anything-api
)";

TEST(PolicyTest, ParsesEveryField) {
  auto policy = ParsePolicy(kPolicy);
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_TRUE(policy->remove_authorization);
  EXPECT_EQ(policy->headers.subject, "x-user");
  EXPECT_EQ(policy->headers.client_id, "x-auth-client-id");  // default kept
  ASSERT_EQ(policy->rules.size(), 4u);
  const Rule& orders = policy->rules[1];
  EXPECT_EQ(orders.host, "api.example.com");
  EXPECT_EQ(orders.methods, (std::vector<std::string>{"GET", "HEAD"}));
  EXPECT_EQ(orders.audience, "orders-api");
  EXPECT_EQ(orders.scopes, (std::vector<std::string>{"orders.read"}));
  EXPECT_EQ(orders.line, 8);
  EXPECT_TRUE(policy->rules[0].anonymous);
}

TEST(PolicyTest, FirstMatchingRuleWinsByHostMethodAndWholeSegments) {
  auto policy = ParsePolicy(kPolicy);
  ASSERT_TRUE(policy.ok());
  auto line = [&](absl::string_view host, absl::string_view method, absl::string_view path) {
    const Rule* r = policy->Match(host, method, path);
    return r == nullptr ? 0 : r->line;
  };
  EXPECT_EQ(line("api.example.com", "GET", "/orders/7"), 8);
  EXPECT_EQ(line("API.Example.com:8443", "GET", "/orders?x=1"), 8);  // port, case, query
  EXPECT_EQ(line("api.example.com", "POST", "/orders/7"), 13);       // method
  EXPECT_EQ(line("other.example.com", "GET", "/orders"), 13);        // host
  EXPECT_EQ(line("api.example.com", "GET", "/ordersx"), 16);         // whole segments
  EXPECT_EQ(line("x", "GET", "/public"), 6);
  EXPECT_EQ(line("x", "GET", "/public/a/b"), 6);
  EXPECT_EQ(line("[::1]:80", "DELETE", "/elsewhere"), 16);
  EXPECT_EQ(line("api.example.com", "get", "/orders/7"), 8);         // method case
  EXPECT_EQ(line("api.example.com", "GET", "/orders;jsessionid=1/7"), 8);  // ;params

  auto narrow = ParsePolicy("rules:\n  - path_prefix: /a/\n    audience: x\n");
  ASSERT_TRUE(narrow.ok());
  EXPECT_NE(narrow->Match("h", "GET", "/a/b"), nullptr);
  EXPECT_EQ(narrow->Match("h", "GET", "/a"), nullptr);
  EXPECT_EQ(narrow->Match("h", "GET", "/b"), nullptr);  // no rule: the caller denies
}

TEST(PolicyTest, ErrorsNameTheLine) {
  struct Case {
    const char* yaml;
    const char* message;
  };
  const Case cases[] = {
      {"rules:\n  - path_prefix: /a\n    audience: x\n    scope: [r]\n",
       "line 4: unknown key 'scope' (did you mean 'scopes'?)"},
      {"rules:\n  - audience: x\n", "line 2: a rule needs path_prefix"},
      {"rules:\n  - path_prefix: /a\n", "line 2: a rule needs an audience (or anonymous: true)"},
      {"rules:\n  - path_prefix: a\n    audience: x\n", "line 2: path_prefix must be a canonical"},
      {"rules:\n  - path_prefix: /a/../b\n    audience: x\n", "line 2: path_prefix must be"},
      {"rules:\n  - path_prefix: /a\n    anonymous: maybe\n",
       "line 3: anonymous must be true or false"},
      {"rules:\n  - path_prefix: /a\n    anonymous: true\n    scopes: [x]\n",
       "line 2: an anonymous rule cannot require"},
      {"rules:\n  - path_prefix: /a\n    audience: x\n    methods: GET\n",
       "line 4: methods must be a list"},
      {"rules:\n  - path_prefix: /a\n    audience: x\n    methods: [\"G ET\"]\n",
       "line 4: bad method"},
      {"identity_headers:\n  subject: \"bad header\"\nrules:\n  - path_prefix: /\n    audience: x\n",
       "line 2: bad header name"},
      {"rules: [\n", "line 2:"},
      {"rules: []\n", "non-empty 'rules' list"},
      {"- just a list\n", "must be a mapping"},
      {"rulez:\n  - path_prefix: /\n", "line 1: unknown key 'rulez'"},
  };
  for (const Case& c : cases) {
    auto policy = ParsePolicy(c.yaml);
    ASSERT_FALSE(policy.ok()) << c.yaml;
    EXPECT_EQ(policy.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(policy.status().message()), HasSubstr(c.message)) << c.yaml;
  }
}

TEST(PolicyTest, LoadNamesTheFile) {
  auto missing = LoadPolicy("/nonexistent/policy.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr("/nonexistent/policy.yaml: cannot be read"));
}

TEST(PolicyTest, CanonicalPaths) {
  for (const char* good : {"/", "/a", "/a/b", "/a/b/", "/a?x=../y", "/a%20b", "/a.b/c..d",
                           "/a;v=1/b"}) {
    EXPECT_TRUE(IsCanonicalPath(good)) << good;
  }
  for (const char* bad : {"", "a", "/a/../b", "/..", "/a/.", "/./a", "//a", "/a//b",
                          "/a%2fb", "/a%2F..", "/a%2e%2e/b", "/a%5cb", "/a\\b", "/a%252e",
                          "/a\x01", "/a#b", "/%00", "/public/..;/admin", "/a/.;x/b",
                          "/;/admin", "/a/..;", "/%61dmin", "/a%7Eb", "/a%2", "/a%zz",
                          "/a%4A"}) {
    EXPECT_FALSE(IsCanonicalPath(bad)) << bad;
  }
}

}  // namespace
}  // namespace oauthd::authz
