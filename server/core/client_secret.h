#ifndef OAUTHD_SERVER_CORE_CLIENT_SECRET_H_
#define OAUTHD_SERVER_CORE_CLIENT_SECRET_H_

#include <string>

#include "absl/strings/string_view.h"

namespace oauthd {

// Client secrets are generated here, never chosen by people: 32 random bytes
// (256 bits) as base64url. With that much entropy a salted SHA-256 is as good
// as a slow KDF against offline guessing and costs ~1 µs instead of ~100 ms
// per token request, so client authentication never dominates token cost.

struct HashedSecret {
  std::string salt;  // 16 random bytes
  std::string hash;  // SHA-256(salt || secret), 32 bytes
};

// A new secret (43 base64url characters).
std::string GenerateClientSecret();

// Salts and hashes `secret` with a fresh salt.
HashedSecret HashClientSecret(absl::string_view secret);

// Constant-time check of `secret` against a stored salt and hash. A record
// without a hash (public client) never matches.
bool VerifyClientSecret(absl::string_view secret, absl::string_view salt,
                        absl::string_view hash);

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_CLIENT_SECRET_H_
