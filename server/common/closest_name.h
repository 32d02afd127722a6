#ifndef OAUTHD_SERVER_COMMON_CLOSEST_NAME_H_
#define OAUTHD_SERVER_COMMON_CLOSEST_NAME_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace oauthd {

// The name in `candidates` nearest to `word`, for a "did you mean" hint: the
// smallest edit distance (an insertion, deletion, substitution or swap of two
// neighbouring characters counts 1; case is ignored) if it is at most 2, or
// a third of the word's length for longer words. A candidate that starts
// with `word` (e.g. "scopes" for "scope") counts as distance 1. Ties go to
// the earlier candidate. Returns "" when nothing is close.
// Thread-safe (a pure function).
std::string ClosestName(absl::string_view word, const std::vector<std::string>& candidates);

}  // namespace oauthd

#endif  // OAUTHD_SERVER_COMMON_CLOSEST_NAME_H_
