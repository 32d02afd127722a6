#ifndef OAUTHD_SERVER_JOSE_VERIFICATION_KEY_H_
#define OAUTHD_SERVER_JOSE_VERIFICATION_KEY_H_

// A public key that verifies JWS signatures with exactly one algorithm.

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/jose/algorithm.h"
#include "server/jose/jwk.h"
#include "server/jose/signing_key.h"

namespace oauthd::jose {

// Thread safety: immutable after creation; Verify may be called concurrently.
// Copies are cheap and share the key.
class VerificationKey {
 public:
  // Imports a public JWK: RSA (n, e; >= 2048 bits) for RS256, EC P-256 (x, y)
  // for ES256, OKP Ed25519 (x) for EdDSA. If the JWK has "alg" it must be the
  // one its type implies; if it has "use" it must be "sig". The kid is the
  // JWK's "kid", or its RFC 7638 thumbprint when absent.
  // Returns InvalidArgument with a one-line reason otherwise.
  static absl::StatusOr<VerificationKey> FromJwk(const Jwk& jwk);

  // The public half of `key`, sharing its EVP_PKEY; kid and JWK are the
  // signing key's.
  static VerificationKey FromSigningKey(const SigningKey& key);

  Algorithm alg() const { return alg_; }
  const std::string& kid() const { return jwk_.kid; }
  // The public JWK, with kid and alg filled in.
  const Jwk& jwk() const { return jwk_; }

  // Returns OK iff `signature` (raw bytes, not base64url) is a valid
  // signature of `signing_input` under this key and algorithm. ES256
  // signatures must be the 64-byte JOSE form R||S (RFC 7518 §3.4), DER is
  // rejected, and S must be at most n/2 (the low-S form: its twin n - S
  // would give one token a second valid string). Returns Unauthenticated("... signature verification failed")
  // otherwise.
  absl::Status Verify(absl::string_view signing_input, absl::string_view signature) const;

 private:
  VerificationKey(std::shared_ptr<const internal::PkeyOperations> operations, Algorithm alg,
                  Jwk jwk);

  std::shared_ptr<const internal::PkeyOperations> operations_;
  Algorithm alg_;
  Jwk jwk_;
};

}  // namespace oauthd::jose

#endif  // OAUTHD_SERVER_JOSE_VERIFICATION_KEY_H_
