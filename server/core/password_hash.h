#ifndef OAUTHD_SERVER_CORE_PASSWORD_HASH_H_
#define OAUTHD_SERVER_CORE_PASSWORD_HASH_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace oauthd {

// Passwords people choose get scrypt (RFC 7914) from OpenSSL, salted, in a
// self-describing string so that the cost can change without invalidating
// stored hashes:  $scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt b64url>$<hash b64url>

struct ScryptParams {
  int log2_n = 15;  // N = 32768: ~32 MiB and ~50-100 ms per hash on our cores
  int r = 8;
  int p = 1;
};

// Hashes `password` with a fresh 16-byte salt. Fails only if OpenSSL does.
absl::StatusOr<std::string> HashPassword(absl::string_view password,
                                         const ScryptParams& params);

// Constant-time comparison of the recomputed hash. A malformed stored hash
// never matches (returns false).
bool VerifyPassword(absl::string_view password, absl::string_view stored);

// A valid hash of a random password with `params`: verified against when the
// user does not exist, so that unknown and known users cost the same time.
const std::string& DummyPasswordHash(const ScryptParams& params);

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_PASSWORD_HASH_H_
