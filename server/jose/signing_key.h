#ifndef OAUTHD_SERVER_JOSE_SIGNING_KEY_H_
#define OAUTHD_SERVER_JOSE_SIGNING_KEY_H_

// A private key that signs JWS (RFC 7515) with the algorithm its type
// implies: RSA (>= 2048 bits) -> RS256, EC P-256 -> ES256, Ed25519 -> EdDSA.

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/jose/algorithm.h"
#include "server/jose/jwk.h"

namespace oauthd::jose {

namespace internal {
class PkeyOperations;
}  // namespace internal

class VerificationKey;

// Thread safety: immutable after creation; Sign may be called concurrently
// from any number of threads. Copies are cheap and share the key.
class SigningKey {
 public:
  // Loads an unencrypted PEM private key (PKCS#8 "PRIVATE KEY" or the
  // traditional "RSA PRIVATE KEY" / "EC PRIVATE KEY" forms) from `path`.
  //
  // On failure returns a status whose message is one line naming the file,
  // the reason and how to create a key, e.g.
  //   signing key /etc/oauthd/key.pem: cannot open: No such file or
  //   directory; create one with: oauthctl keys generate --alg ES256 --out
  //   /etc/oauthd/key.pem
  // Codes: NotFound (no such file), PermissionDenied (unreadable),
  // InvalidArgument (not a PEM private key, a public key or certificate,
  // an encrypted key, an unsupported type or curve, RSA below 2048 bits).
  static absl::StatusOr<SigningKey> FromPemFile(absl::string_view path);

  // Same as FromPemFile for PEM text held in memory; `source` names it in
  // error messages (e.g. an environment variable).
  static absl::StatusOr<SigningKey> FromPem(absl::string_view pem,
                                            absl::string_view source = "PEM input");

  // The JWS "alg" this key signs with.
  Algorithm alg() const { return alg_; }

  // The key ID: the RFC 7638 thumbprint of the public key, base64url.
  const std::string& kid() const { return public_jwk_.kid; }

  // The public half as a JWK with kty, crv/x/y or n/e, alg, use="sig", kid.
  const Jwk& public_jwk() const { return public_jwk_; }

  // Signs `signing_input` (the ASCII "BASE64URL(header).BASE64URL(payload)"
  // of RFC 7515 §5.1) and returns the raw signature bytes, not base64url:
  // RS256 a PKCS#1 v1.5 signature of the modulus size, ES256 exactly 64
  // bytes R||S (RFC 7518 §3.4, not DER) with S <= n/2 (low-S, the only form
  // VerificationKey accepts), EdDSA 64 bytes (RFC 8037 §3.1).
  // Returns Internal only if OpenSSL fails.
  absl::StatusOr<std::string> Sign(absl::string_view signing_input) const;

  // As Sign, writing into `*signature` (replacing its contents).
  absl::Status SignTo(absl::string_view signing_input, std::string* signature) const;

 private:
  friend class VerificationKey;

  SigningKey(std::shared_ptr<const internal::PkeyOperations> operations, Algorithm alg,
             Jwk public_jwk);

  // Shared by the public loaders; `out_file` fills in the creation hint.
  static absl::StatusOr<SigningKey> LoadPem(absl::string_view pem, absl::string_view source,
                                            absl::string_view out_file);

  std::shared_ptr<const internal::PkeyOperations> operations_;
  Algorithm alg_;
  Jwk public_jwk_;
};

}  // namespace oauthd::jose

#endif  // OAUTHD_SERVER_JOSE_SIGNING_KEY_H_
