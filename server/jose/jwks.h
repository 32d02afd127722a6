#ifndef OAUTHD_SERVER_JOSE_JWKS_H_
#define OAUTHD_SERVER_JOSE_JWKS_H_

// JWK Set documents (RFC 7517 §5): {"keys":[...]}.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "server/jose/jwk.h"

namespace oauthd::jose {

// Returns the JWK Set document for `keys`, in order, without whitespace.
std::string RenderJwks(absl::Span<const Jwk> keys);

// Parses a JWK Set document. Returns every entry of "keys", including kinds
// this library cannot verify with (KeySet::FromJwks decides what is usable,
// following RFC 7517 §5's "ignore what you do not understand").
// Returns InvalidArgument if the document is not a JSON object with a "keys"
// array of objects, if any entry fails JwkFromJson (a non-string member, no
// kty, private key material), or if `json` exceeds 1 MiB.
absl::StatusOr<std::vector<Jwk>> ParseJwks(absl::string_view json);

}  // namespace oauthd::jose

#endif  // OAUTHD_SERVER_JOSE_JWKS_H_
