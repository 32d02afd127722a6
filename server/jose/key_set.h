#ifndef OAUTHD_SERVER_JOSE_KEY_SET_H_
#define OAUTHD_SERVER_JOSE_KEY_SET_H_

// A set of verification keys addressed by kid, and JWS/JWT verification
// against it.

#include <cstddef>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "server/jose/jwk.h"
#include "server/jose/jwt.h"
#include "server/jose/verification_key.h"

namespace oauthd::jose {

// Largest compact JWS VerifyJwt accepts.
inline constexpr size_t kMaxJwtSize = 8192;

// Largest encoded JOSE header VerifyJwt accepts. The header is parsed before
// the signature is checked, so its parse cost is bounded: real headers are
// ~100 bytes, while an 8 KiB one crafted for the parser costs milliseconds.
inline constexpr size_t kMaxJwtHeaderSize = 1024;

// Options of KeySet::VerifyJwt.
struct VerifyJwtOptions {
  // Also return the whole claims object as VerifiedJwt::payload. When false,
  // `payload` is left empty and the typed claims are read with
  // ParseSimpleJwtClaims (falling back to the full parser for JSON outside
  // its subset), which saves the Struct parse (~15 µs per token) for callers
  // that only need VerifiedJwt::claims. Results are otherwise identical.
  bool keep_payload = true;
  // A header without "kid" is verified with the set's only key when the set
  // holds exactly one (RFC 7523 client assertions need not name their key);
  // otherwise it is refused as before. "alg" must still match that key.
  bool allow_missing_kid_with_one_key = false;
  // Accept an ES256 signature in its high-S form too (it is checked as its
  // low-S twin). For one-time JWTs whose reuse is caught by their jti
  // (RFC 7523 client assertions), where a second valid string gains nothing,
  // while WebCrypto and most JOSE libraries sign with either S.
  bool accept_high_s = false;
};

// Immutable after construction; all const methods are thread-safe. Copies
// are independent values sharing the underlying keys.
class KeySet {
 public:
  // An empty set: VerifyJwt rejects every token.
  KeySet() = default;

  // A set of exactly `keys`. Returns InvalidArgument if two keys share a kid.
  static absl::StatusOr<KeySet> Create(std::vector<VerificationKey> keys);

  // A set of the usable keys in `jwks` (e.g. a fetched JWK Set). Following
  // RFC 7517 §5, entries this library cannot use (other kty or curve, other
  // alg, use other than "sig", invalid material, RSA < 2048 bits) are
  // skipped. Returns InvalidArgument if no entry is usable (naming the first
  // problem) or two usable keys share a kid.
  static absl::StatusOr<KeySet> FromJwks(absl::Span<const Jwk> jwks);

  // ParseJwks followed by FromJwks.
  static absl::StatusOr<KeySet> FromJwksJson(absl::string_view json);

  // Returns the key with `kid`, or nullptr. The pointer lives as long as
  // this KeySet.
  const VerificationKey* Find(absl::string_view kid) const;

  size_t size() const { return keys_.size(); }
  const std::vector<VerificationKey>& keys() const { return keys_; }

  // The public JWKs of all keys, in construction order (for RenderJwks).
  std::vector<Jwk> Jwks() const;

  // Verifies a JWS compact serialization (RFC 7515 §5.2) whose payload is a
  // JWT claims set, and returns its decoded header and claims.
  //
  // InvalidArgument: longer than kMaxJwtSize or a header longer than
  //   kMaxJwtHeaderSize; not three '.'-separated parts;
  //   a part not strict unpadded base64url; header or payload not a JSON
  //   object; header "alg"/"kid"/"typ" not strings; a registered claim of
  //   the wrong type (see ParseJwtClaims).
  // Unauthenticated: "alg" missing or "none"; a "crit" header (no extension
  //   is understood, RFC 7515 §4.1.11); "kid" missing (unless
  //   allow_missing_kid_with_one_key applies) or not in this set;
  //   "alg" different from the key's algorithm (algorithm confusion, e.g.
  //   HS256 or RS256 on an EC key; for an Ed25519 key both "EdDSA" and its
  //   RFC 9864 fully-specified name "Ed25519" match); a bad signature.
  //
  // Claim values (exp, iss, typ, ...) are not checked here; see
  // ValidateAccessTokenClaims. The payload is parsed only after the
  // signature is verified.
  absl::StatusOr<VerifiedJwt> VerifyJwt(absl::string_view compact) const;

  // As above, with `options` (VerifyJwt(compact) uses the defaults).
  absl::StatusOr<VerifiedJwt> VerifyJwt(absl::string_view compact,
                                        const VerifyJwtOptions& options) const;

 private:
  struct OwnHeader {
    size_t key_index;
    JwtHeader header;
  };

  std::vector<VerificationKey> keys_;
  absl::flat_hash_map<std::string, size_t> index_by_kid_;
  // Base64url of the exact header EncodeJwt writes for each key, so tokens
  // this server issued skip header parsing.
  absl::flat_hash_map<std::string, OwnHeader> own_headers_;
};

}  // namespace oauthd::jose

#endif  // OAUTHD_SERVER_JOSE_KEY_SET_H_
