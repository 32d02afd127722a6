#ifndef OAUTHD_SERVER_CORE_RANDOM_H_
#define OAUTHD_SERVER_CORE_RANDOM_H_

#include <cstddef>
#include <string>

namespace oauthd {

// `n` bytes from OpenSSL's CSPRNG. Aborts the process if the CSPRNG fails:
// handing out predictable tokens is worse than stopping. Thread-safe.
std::string RandomBytes(size_t n);

// `n` random bytes encoded base64url without padding (RFC 4648 §5): the form
// of every opaque token oauthd issues (codes, refresh tokens, secrets, jti).
std::string RandomToken(size_t n);

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_RANDOM_H_
