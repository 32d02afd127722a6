#ifndef OAUTHD_SERVER_JOSE_JWK_H_
#define OAUTHD_SERVER_JOSE_JWK_H_

// JSON Web Key (RFC 7517) for the public keys oauthd publishes and accepts,
// and its RFC 7638 thumbprint.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/struct.pb.h"

namespace oauthd::jose {

// A public JWK. Members are the JSON string values as they appear in the
// document; key material (x, y, n, e) is base64url without padding
// (RFC 7518 §6). An empty string means "member absent". Private members
// (d, p, q, ...) are deliberately not representable.
//
//   RSA (RFC 7518 §6.3.1):  kty="RSA", n, e
//   EC  (RFC 7518 §6.2.1):  kty="EC", crv="P-256", x, y (32 bytes each)
//   OKP (RFC 8037 §2):      kty="OKP", crv="Ed25519", x (32 bytes)
struct Jwk {
  std::string kty;
  std::string kid;
  std::string use;  // "sig" for every key oauthd publishes.
  std::string alg;  // "RS256", "ES256" or "EdDSA".
  std::string crv;
  std::string x;
  std::string y;
  std::string n;
  std::string e;

  friend bool operator==(const Jwk&, const Jwk&) = default;
};

// Returns the RFC 7638 thumbprint of `jwk`: SHA-256 over the JSON object of
// the required members for its kty, in lexicographic order and without
// whitespace (RSA: e, kty, n; EC: crv, kty, x, y; OKP: crv, kty, x),
// base64url-encoded without padding (43 characters). Optional members (kid,
// use, alg) do not contribute. Returns InvalidArgument for another kty or a
// missing required member. Does not validate the key material itself.
absl::StatusOr<std::string> JwkThumbprint(const Jwk& jwk);

// Returns `jwk` as a JSON object with its non-empty members, in the order
// kty, use, alg, kid, crv, x, y, n, e. Strings are escaped as needed.
std::string RenderJwk(const Jwk& jwk);

// Reads a JWK from a parsed JSON object (one entry of a JWK Set). Members
// this struct does not model (key_ops, x5c, ...) are ignored. Returns
// InvalidArgument if a modelled member is not a string, if "kty" is missing,
// or if the object contains private key material ("d"): a public key set
// carrying private keys is a leak we refuse to use.
absl::StatusOr<Jwk> JwkFromJson(const google::protobuf::Struct& object);

}  // namespace oauthd::jose

#endif  // OAUTHD_SERVER_JOSE_JWK_H_
