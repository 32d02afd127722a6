// Scope parameters (RFC 6749 §3.3): parsing and the grant decision against a
// client's allowed and default scopes (server/core/scope). Input lines: the
// requested scope, the client's allowed scopes, its default scopes (both
// space-separated; only valid ones are kept, as registration would).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "server/core/scope.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_input.h"

namespace oauthd::fuzz {
namespace {

// scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), written out independently.
bool ConformingToken(absl::string_view token) {
  if (token.empty()) return false;
  for (char c : token) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7e || u == 0x22 || u == 0x5c) return false;
  }
  return true;
}

bool Conforming(absl::string_view scope) {
  if (scope.size() > kMaxScopeLength) return false;
  if (scope.empty()) return true;
  for (absl::string_view token : absl::StrSplit(scope, ' ')) {
    if (!ConformingToken(token)) return false;
  }
  return true;
}

std::vector<std::string> Registered(absl::string_view list) {
  std::vector<std::string> out;
  for (absl::string_view token : absl::StrSplit(list, ' ', absl::SkipEmpty())) {
    if (ConformingToken(token)) out.emplace_back(token);
  }
  return out;
}

}  // namespace
}  // namespace oauthd::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace oauthd;
  using namespace oauthd::fuzz;
  const std::vector<absl::string_view> f = SplitFields(AsView(data, size), 3);
  const absl::string_view requested = f[0];

  absl::StatusOr<std::vector<std::string>> parsed = ParseScope(requested);
  FUZZ_CHECK(parsed.ok() == Conforming(requested));
  if (parsed.ok()) {
    for (size_t i = 0; i < parsed->size(); ++i) {
      FUZZ_CHECK(ConformingToken((*parsed)[i]));
      // Duplicates collapse; every requested token is kept.
      FUZZ_CHECK(std::count(parsed->begin(), parsed->end(), (*parsed)[i]) == 1);
    }
    for (absl::string_view token : absl::StrSplit(requested, ' ', absl::SkipEmpty())) {
      FUZZ_CHECK(std::find(parsed->begin(), parsed->end(), token) != parsed->end());
    }
    absl::StatusOr<std::vector<std::string>> again = ParseScope(JoinScope(*parsed));
    FUZZ_CHECK(again.ok() && *again == *parsed);
  }

  const std::vector<std::string> allowed = Registered(f[1]);
  std::vector<std::string> defaults;
  for (std::string& s : Registered(f[2])) {
    if (std::find(allowed.begin(), allowed.end(), s) != allowed.end()) defaults.push_back(s);
  }
  absl::StatusOr<std::vector<std::string>> granted = ResolveScope(requested, allowed, defaults);
  if (granted.ok()) {
    // Never more than the client may have.
    FUZZ_CHECK(ScopeIsSubset(*granted, allowed));
    FUZZ_CHECK(parsed.ok());
    FUZZ_CHECK(*granted == (parsed->empty() ? defaults : *parsed));
  } else {
    FUZZ_CHECK(!parsed.ok() || !ScopeIsSubset(*parsed, allowed));
  }
  return 0;
}
