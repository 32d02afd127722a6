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

// True when every byte of `token` is printable ASCII (0x20-0x7E), which is
// what a bearer token sent as gRPC metadata ("authorization: Bearer TOKEN")
// can carry: gRPC refuses (and a client aborts on) a control byte or a byte
// above 0x7E, so an admin token with one could never be presented. Raw bytes
// from /dev/urandom without base64 are the usual way to get one.
bool IsPrintableAscii(absl::string_view token);

}  // namespace oauthd

#endif  // OAUTHD_SERVER_COMMON_SECRET_STRENGTH_H_
