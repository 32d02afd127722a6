#ifndef OAUTHD_SERVER_JOSE_INTERNAL_PRINTABLE_H_
#define OAUTHD_SERVER_JOSE_INTERNAL_PRINTABLE_H_

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace oauthd::jose::internal {

// Returns `untrusted` made safe to embed in an error message: C-escaped (no
// control characters or invalid UTF-8 reach a log line) and cut to at most
// `max_len` input bytes, with "..." appended when cut.
inline std::string Printable(absl::string_view untrusted, size_t max_len = 64) {
  if (untrusted.size() <= max_len) return absl::CHexEscape(untrusted);
  return absl::StrCat(absl::CHexEscape(untrusted.substr(0, max_len)), "...");
}

}  // namespace oauthd::jose::internal

#endif  // OAUTHD_SERVER_JOSE_INTERNAL_PRINTABLE_H_
