#ifndef OAUTHD_SERVER_JOSE_KEY_GENERATION_H_
#define OAUTHD_SERVER_JOSE_KEY_GENERATION_H_

// New signing keys, for `oauthctl keys generate` and tests.

#include <string>

#include "absl/status/statusor.h"
#include "server/jose/algorithm.h"

namespace oauthd::jose {

// Generates a fresh private key for `alg` from OpenSSL's CSPRNG and returns
// it as an unencrypted PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"), loadable
// by SigningKey::FromPem. RS256 -> RSA 3072 bits (e = 65537), ES256 -> P-256,
// EdDSA -> Ed25519. Returns Internal if OpenSSL fails. Thread-safe. RSA
// generation takes on the order of a second.
absl::StatusOr<std::string> GeneratePrivateKeyPem(Algorithm alg);

}  // namespace oauthd::jose

#endif  // OAUTHD_SERVER_JOSE_KEY_GENERATION_H_
