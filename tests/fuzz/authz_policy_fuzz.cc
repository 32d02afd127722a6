// The API-gateway authorization policy loader (server/authz/policy, YAML via
// yaml-cpp) and rule matching. Input: the policy file.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "server/authz/policy.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_input.h"

namespace oauthd::fuzz {
namespace {

// The requests every accepted policy is asked about.
constexpr struct {
  const char* host;
  const char* method;
  const char* path;
} kProbes[] = {{"api.example.com", "GET", "/orders/7"},
               {"API.example.com:8443", "post", "/orders?x=1"},
               {"[::1]:80", "DELETE", "/admin;jsessionid=1/users"},
               {"", "GET", "/"},
               {"other", "HEAD", "/healthz"}};

void CheckRule(const authz::Rule& rule) {
  FUZZ_CHECK(!rule.path_prefix.empty() && rule.path_prefix.front() == '/');
  FUZZ_CHECK(authz::IsCanonicalPath(rule.path_prefix));
  FUZZ_CHECK(rule.host == absl::AsciiStrToLower(rule.host));
  for (const std::string& m : rule.methods) FUZZ_CHECK(!m.empty() && m == absl::AsciiStrToUpper(m));
  // RFC 9068 §4: a token is checked against its API's audience, always.
  FUZZ_CHECK(rule.anonymous ? rule.audience.empty() && rule.scopes.empty()
                            : !rule.audience.empty());
  for (const std::string& s : rule.scopes) FUZZ_CHECK(!s.empty());
}

}  // namespace
}  // namespace oauthd::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace oauthd;
  using namespace oauthd::fuzz;
  absl::StatusOr<authz::Policy> policy = authz::ParsePolicy(AsView(data, size));
  if (!policy.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(policy.status()));
    return 0;
  }
  FUZZ_CHECK(!policy->rules.empty());
  for (const authz::Rule& rule : policy->rules) CheckRule(rule);
  for (const auto& probe : kProbes) {
    const authz::Rule* rule = policy->Match(probe.host, probe.method, probe.path);
    if (rule != nullptr) {
      FUZZ_CHECK(rule >= policy->rules.data() &&
                 rule < policy->rules.data() + policy->rules.size());
    }
  }
  return 0;
}
