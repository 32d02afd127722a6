#ifndef OAUTHD_SERVER_CORE_SCOPE_H_
#define OAUTHD_SERVER_CORE_SCOPE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace oauthd {

// Scope handling per RFC 6749 §3.3: a space-delimited list of scope-tokens,
// each 1*( %x21 / %x23-5B / %x5D-7E ). Order does not matter; duplicates
// collapse. Returned lists keep first-seen order.

// Longest scope string accepted (bytes); longer is invalid_request.
inline constexpr size_t kMaxScopeLength = 2048;

// Splits and validates `scope`. Empty input gives an empty list. A malformed
// token (bad character, empty item from doubled spaces) -> invalid_scope;
// over kMaxScopeLength -> invalid_request.
absl::StatusOr<std::vector<std::string>> ParseScope(absl::string_view scope);

// Joins scopes with single spaces.
std::string JoinScope(const std::vector<std::string>& scopes);

// The scopes to grant for a request: `requested` if every one of them is in
// `allowed` (else invalid_scope naming the first offender), or `defaults`
// when nothing was requested (RFC 6749 §3.3 lets the server pick a default).
absl::StatusOr<std::vector<std::string>> ResolveScope(
    absl::string_view requested, const std::vector<std::string>& allowed,
    const std::vector<std::string>& defaults);

// True when every scope of `subset` is in `superset`.
bool ScopeIsSubset(const std::vector<std::string>& subset,
                   const std::vector<std::string>& superset);

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_SCOPE_H_
