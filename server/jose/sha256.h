#ifndef OAUTHD_SERVER_JOSE_SHA256_H_
#define OAUTHD_SERVER_JOSE_SHA256_H_

#include <array>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace oauthd::jose {

// SHA-256 (FIPS 180-4) of `data`: 32 bytes.
//
// OpenSSL 3.0's one-shot SHA256() looks the algorithm up by name on every
// call, under a process-wide read-write lock; here the algorithm is fetched
// once and each thread reuses its own digest context, so concurrent callers
// share no lock. Thread-safe. Aborts only if OpenSSL cannot hash at all
// (out of memory, or no SHA-256 in the default provider).
std::array<uint8_t, 32> Sha256Digest(absl::string_view data);

}  // namespace oauthd::jose

#endif  // OAUTHD_SERVER_JOSE_SHA256_H_
