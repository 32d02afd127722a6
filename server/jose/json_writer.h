#ifndef OAUTHD_SERVER_JOSE_JSON_WRITER_H_
#define OAUTHD_SERVER_JOSE_JSON_WRITER_H_

// Minimal JSON output for the fixed-shape documents this library writes (JWS
// headers, JWT claims, JWKs). Parsing is json_reader.h's strict RFC 8259
// reader; writing is hand-rolled because it sits on the token-issuing hot
// path.

#include <string>

#include "absl/strings/string_view.h"

namespace oauthd::jose {

// Appends `value` to `*out` as a JSON string literal, quotes included
// (RFC 8259 §7): '"' and '\' are backslash-escaped, control characters
// U+0000..U+001F become \u00XX, every other byte is copied unchanged (UTF-8
// passes through). The input must be valid UTF-8 for the output to be valid
// JSON; check with IsValidUtf8 when the input is not already trusted.
void AppendJsonString(absl::string_view value, std::string* out);

// Returns true if `s` is well-formed UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF).
bool IsValidUtf8(absl::string_view s);

}  // namespace oauthd::jose

#endif  // OAUTHD_SERVER_JOSE_JSON_WRITER_H_
