#ifndef OAUTHD_SERVER_JOSE_INTERNAL_ECDSA_SIGNATURE_H_
#define OAUTHD_SERVER_JOSE_INTERNAL_ECDSA_SIGNATURE_H_

// Conversion between OpenSSL's DER ECDSA-Sig-Value (RFC 3279 §2.2.3) and the
// JOSE form, the fixed-width big-endian concatenation R || S
// (RFC 7518 §3.4). Internal to server/jose.

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace oauthd::jose::internal {

// Bytes per coordinate for P-256; a JOSE ES256 signature is twice this.
inline constexpr size_t kP256CoordinateSize = 32;

// Converts a DER signature to R || S with each half left-padded to
// `coordinate_size` bytes, replacing `*jose`. Returns false if `der` is not
// exactly one valid DER ECDSA-Sig-Value or R or S is too large.
bool EcdsaDerToJose(absl::string_view der, size_t coordinate_size, std::string* jose);

// Converts R || S (exactly 2 * `coordinate_size` bytes) to DER, replacing
// `*der`. Returns false on a wrong length. R or S of zero is encoded as is
// and fails verification later.
bool EcdsaJoseToDer(absl::string_view jose, size_t coordinate_size, std::string* der);

// ECDSA is malleable: when (R, S) is a valid signature, so is (R, n - S).
// Left alone, one token would have two valid strings with the same jti. As
// Bitcoin (BIP 62/146) and libsecp256k1 do, only the "low-S" form, S <= n/2,
// is canonical: the signer normalises to it and the verifier accepts only it.

// True if `jose` is 64 bytes (P-256 R || S) and S <= n/2.
bool IsLowSP256(absl::string_view jose);

// Replaces S by n - S in the 64-byte P-256 R || S `*jose` when S > n/2, so
// that it becomes the canonical form of the same signature. `*jose` must be a
// signature OpenSSL produced (0 < S < n).
void NormalizeToLowSP256(std::string* jose);

}  // namespace oauthd::jose::internal

#endif  // OAUTHD_SERVER_JOSE_INTERNAL_ECDSA_SIGNATURE_H_
