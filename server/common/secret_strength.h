#ifndef OAUTHD_SERVER_COMMON_SECRET_STRENGTH_H_
#define OAUTHD_SERVER_COMMON_SECRET_STRENGTH_H_

#include "absl/strings/string_view.h"

namespace oauthd {

// A conservative estimate of the random bits in a secret an operator
// generated and wrote to a file (e.g. `head -c 32 /dev/urandom | base64`):
// 4 bits per character when every character is a hex digit, 6 when all are
// from the base64 / base64url alphabets (padding '=' not counted), 6.5 for
// other printable ASCII; 0 when fewer than 8 distinct characters appear
// (a repeated pattern such as "aaaa..." or "abcabc..." is not random).
// Non-printable characters count as other printable ones.
double EstimatedSecretBits(absl::string_view secret);

// The admin bearer token must carry at least 32 random bytes.
inline constexpr double kMinAdminTokenBits = 256;

}  // namespace oauthd

#endif  // OAUTHD_SERVER_COMMON_SECRET_STRENGTH_H_
