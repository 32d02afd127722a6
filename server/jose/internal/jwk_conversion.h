#ifndef OAUTHD_SERVER_JOSE_INTERNAL_JWK_CONVERSION_H_
#define OAUTHD_SERVER_JOSE_INTERNAL_JWK_CONVERSION_H_

// EVP_PKEY <-> public JWK, with the key-type rules of this library (RSA >=
// 2048 bits, EC P-256, Ed25519). Internal to server/jose.

#include <string>

#include "absl/status/statusor.h"
#include "server/jose/algorithm.h"
#include "server/jose/internal/openssl_util.h"
#include "server/jose/jwk.h"

namespace oauthd::jose::internal {

// Minimum RSA modulus size accepted anywhere (RFC 7518 §3.3 requires 2048).
inline constexpr int kMinRsaBits = 2048;

// Returns the algorithm a key must be used with, or InvalidArgument with a
// one-line reason (unsupported type or curve, RSA key too small).
absl::StatusOr<Algorithm> AlgorithmForKey(const EVP_PKEY* pkey);

// Returns the public JWK of `pkey` (private or public) with kty, crv and key
// material, alg, use="sig" and kid = RFC 7638 thumbprint.
absl::StatusOr<Jwk> PublicJwkFromKey(const EVP_PKEY* pkey, Algorithm alg);

// The result of importing a public JWK.
struct ImportedKey {
  PkeyPtr pkey;
  Algorithm alg;
};

// Builds a public key from `jwk` with OpenSSL 3 APIs (EVP_PKEY_fromdata for
// RSA and EC, EVP_PKEY_new_raw_public_key for Ed25519). The EC point is
// checked to lie on P-256. Returns InvalidArgument (one line) for an
// unsupported kty/crv, an "alg" other than the one the key type implies, a
// "use" other than "sig", missing or malformed key material, or an RSA key
// below 2048 bits.
absl::StatusOr<ImportedKey> ImportPublicJwk(const Jwk& jwk);

}  // namespace oauthd::jose::internal

#endif  // OAUTHD_SERVER_JOSE_INTERNAL_JWK_CONVERSION_H_
