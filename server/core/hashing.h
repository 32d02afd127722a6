#ifndef OAUTHD_SERVER_CORE_HASHING_H_
#define OAUTHD_SERVER_CORE_HASHING_H_

#include <string>

#include "absl/strings/string_view.h"

namespace oauthd {

// Raw 32-byte SHA-256 digest.
std::string Sha256(absl::string_view data);

// Lowercase hex SHA-256: how codes and refresh tokens are named in storage,
// so that a store dump never reveals a usable token.
std::string Sha256Hex(absl::string_view data);

// base64url(SHA-256(data)) without padding: the PKCE S256 transform
// (RFC 7636 §4.2).
std::string Sha256Base64Url(absl::string_view data);

// Constant-time equality (CRYPTO_memcmp); different lengths compare unequal
// without looking at the contents.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_HASHING_H_
