#include "server/core/scope.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "server/core/oauth_error.h"

namespace oauthd {
namespace {

bool IsScopeChar(unsigned char c) {
  return c == 0x21 || (c >= 0x23 && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
}

bool Contains(const std::vector<std::string>& list, absl::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ParseScope(absl::string_view scope) {
  if (scope.size() > kMaxScopeLength) {
    return InvalidRequest(absl::StrCat("scope is longer than ", kMaxScopeLength,
                                       " bytes"));
  }
  std::vector<std::string> out;
  if (scope.empty()) return out;
  for (absl::string_view token : absl::StrSplit(scope, ' ')) {
    if (token.empty()) {
      return InvalidScope("scope must be scope-tokens separated by single spaces");
    }
    if (!std::all_of(token.begin(), token.end(),
                     [](char c) { return IsScopeChar(static_cast<unsigned char>(c)); })) {
      return InvalidScope("scope contains a character outside RFC 6749 §3.3");
    }
    if (!Contains(out, token)) out.emplace_back(token);
  }
  return out;
}

std::string JoinScope(const std::vector<std::string>& scopes) {
  return absl::StrJoin(scopes, " ");
}

absl::StatusOr<std::vector<std::string>> ResolveScope(
    absl::string_view requested, const std::vector<std::string>& allowed,
    const std::vector<std::string>& defaults) {
  absl::StatusOr<std::vector<std::string>> parsed = ParseScope(requested);
  if (!parsed.ok()) return parsed.status();
  if (parsed->empty()) return defaults;
  for (const std::string& s : *parsed) {
    if (!Contains(allowed, s)) {
      // Scope tokens are printable ASCII without quotes, safe to echo back.
      return InvalidScope(absl::StrCat("scope '", s, "' is not allowed for this client"));
    }
  }
  return parsed;
}

bool ScopeIsSubset(const std::vector<std::string>& subset,
                   const std::vector<std::string>& superset) {
  return std::all_of(subset.begin(), subset.end(),
                     [&](const std::string& s) { return Contains(superset, s); });
}

}  // namespace oauthd
