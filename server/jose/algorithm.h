#ifndef OAUTHD_SERVER_JOSE_ALGORITHM_H_
#define OAUTHD_SERVER_JOSE_ALGORITHM_H_

// The JWS signature algorithms oauthd supports (RFC 7518 §3.1, RFC 8037 §3.1).
// HMAC algorithms are deliberately absent: access tokens are verified by
// resource servers holding only public keys.

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace oauthd::jose {

enum class Algorithm {
  kRs256,  // RSASSA-PKCS1-v1_5 with SHA-256, RSA keys of >= 2048 bits.
  kEs256,  // ECDSA on P-256 with SHA-256; JOSE signatures are raw R||S.
  kEdDsa,  // EdDSA on Ed25519 (RFC 8037).
};

// Returns the JWS "alg" value: "RS256", "ES256" or "EdDSA".
absl::string_view AlgorithmName(Algorithm alg);

// Parses a JWS "alg" value. Matching is exact and case-sensitive
// (RFC 7515 §4.1.1). Returns InvalidArgument for "none", HMAC algorithms and
// anything else not listed above.
absl::StatusOr<Algorithm> ParseAlgorithm(absl::string_view name);

}  // namespace oauthd::jose

#endif  // OAUTHD_SERVER_JOSE_ALGORITHM_H_
