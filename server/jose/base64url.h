#ifndef OAUTHD_SERVER_JOSE_BASE64URL_H_
#define OAUTHD_SERVER_JOSE_BASE64URL_H_

// base64url without padding (RFC 4648 §5, as required by RFC 7515 §2).

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace oauthd::jose {

// Returns the base64url encoding of `data`, without '=' padding.
std::string Base64UrlEncode(absl::string_view data);

// Appends the base64url encoding of `data` (no padding) to `*out`.
void Base64UrlAppend(absl::string_view data, std::string* out);

// Decodes unpadded base64url strictly: returns InvalidArgument if `encoded`
// contains anything outside [A-Za-z0-9_-] (including '=', '+', '/' and
// whitespace), has an impossible length (4k+1), or has non-zero unused bits
// in its last character (so each byte string has exactly one encoding).
// The empty string decodes to the empty string.
absl::StatusOr<std::string> Base64UrlDecode(absl::string_view encoded);

// Same as Base64UrlDecode but writes into `*out` (replacing its contents) to
// let hot paths reuse a buffer. Returns false on any of the errors above;
// `*out` is then unspecified.
bool Base64UrlDecodeTo(absl::string_view encoded, std::string* out);

}  // namespace oauthd::jose

#endif  // OAUTHD_SERVER_JOSE_BASE64URL_H_
