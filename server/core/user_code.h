#ifndef OAUTHD_SERVER_CORE_USER_CODE_H_
#define OAUTHD_SERVER_CORE_USER_CODE_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace oauthd {

// User codes of the device authorization grant (RFC 8628 §6.1): 8
// characters from 20 consonants (BCDFGHJKLMNPQRSTVWXZ: no vowels, so no
// words; no digits, so nothing to confuse with letters), about 34.6 bits,
// shown as XXXX-XXXX. Guessing is limited per source address (see
// DeviceAuthorizationEndpoint).
inline constexpr absl::string_view kUserCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ";
inline constexpr size_t kUserCodeLength = 8;

// A fresh code from the CSPRNG (uniform: rejection sampling), in canonical
// form: 8 upper-case characters, no dash.
std::string NewUserCode();

// The canonical form of what a user typed: letters upper-cased, dashes and
// spaces dropped; nullopt unless exactly 8 alphabet characters remain.
// Example: "bcdf-ghjk" -> "BCDFGHJK"; "BCDF GHJ" -> nullopt.
std::optional<std::string> NormalizeUserCode(absl::string_view typed);

// "BCDFGHJK" -> "BCDF-GHJK" (for display); other lengths unchanged.
std::string FormatUserCode(absl::string_view canonical);

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_USER_CODE_H_
