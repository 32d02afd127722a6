#ifndef OAUTHD_SERVER_JOSE_JWT_H_
#define OAUTHD_SERVER_JOSE_JWT_H_

// JWT access tokens (RFC 9068) in JWS compact serialization (RFC 7515 §7.1):
// encoding, and the decoded form KeySet::VerifyJwt returns.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/struct.pb.h"
#include "server/jose/algorithm.h"
#include "server/jose/signing_key.h"

namespace oauthd::jose {

// The "typ" oauthd puts in access-token headers (RFC 9068 §2.1).
inline constexpr absl::string_view kAccessTokenType = "at+jwt";

// Claims of an access token to issue (RFC 9068 §2.2). Times are seconds since
// the Unix epoch. Emitted in this order; "aud" is a string when it has one
// element and an array otherwise.
struct AccessTokenClaims {
  std::string iss;               // Required.
  std::string sub;               // Required.
  std::vector<std::string> aud;  // Required, at least one non-empty value.
  int64_t exp = 0;               // Required, > 0.
  int64_t iat = 0;               // Required, > 0.
  int64_t nbf = 0;               // Optional: 0 means absent.
  std::string jti;               // Required.
  std::string client_id;         // Required.
  std::string scope;             // Optional: empty means absent.
  std::string username;          // Optional: empty means absent.
  // Optional (empty means absent): the grant the token was minted from
  // (oauthd's own claim, docs/revocation.md); client_credentials tokens have
  // none.
  std::string grant_id;
};

// Signs `claims` with `key` and returns the compact JWS
// "BASE64URL(header).BASE64URL(claims).BASE64URL(signature)" with header
// {"alg":<key alg>,"typ":"at+jwt","kid":<key kid>}. Returns InvalidArgument
// if a required claim is missing, a time is outside 1..2^53-1, or a string is
// not valid UTF-8; Internal if signing fails. Thread-safe.
absl::StatusOr<std::string> EncodeJwt(const SigningKey& key, const AccessTokenClaims& claims);

// Returns the JSON of the header EncodeJwt writes for a key with `alg` and
// `kid` (used by KeySet to recognise its own headers without parsing).
std::string AccessTokenHeaderJson(Algorithm alg, absl::string_view kid);

// JOSE header members this library reads (RFC 7515 §4.1).
struct JwtHeader {
  std::string alg;
  std::string kid;
  std::optional<std::string> typ;
};

// Registered (RFC 7519 §4.1) and RFC 9068/8693 claims, typed. Absent claims
// are nullopt / empty.
struct JwtClaims {
  std::optional<std::string> iss;
  std::optional<std::string> sub;
  std::vector<std::string> aud;  // "aud" as a string becomes one element.
  std::optional<int64_t> exp;
  std::optional<int64_t> nbf;
  std::optional<int64_t> iat;
  std::optional<std::string> jti;
  std::optional<std::string> client_id;
  std::optional<std::string> scope;
  std::optional<std::string> username;
  std::optional<std::string> grant_id;
};

// A JWT whose structure and signature have been verified. Claim values have
// not been validated: see jwt_validation.h.
struct VerifiedJwt {
  JwtHeader header;
  JwtClaims claims;
  // The whole claims object, for claims not modelled in JwtClaims.
  google::protobuf::Struct payload;
};

// Extracts the typed claims from a claims object. Returns InvalidArgument if
// a claim has the wrong JSON type: iss/sub/jti/client_id/scope/username/grant_id not
// strings, aud neither a string nor an array of strings, exp/nbf/iat not
// integers within ±(2^53-1).
absl::StatusOr<JwtClaims> ParseJwtClaims(const google::protobuf::Struct& payload);

// Fast path for the claims of a verified token: reads the JwtClaims of a
// claims object directly from its JSON text, without building a Struct.
// It understands a strict subset of JSON -- one flat object whose members are
// strings (read by the strict reader's own code), integers of at most 16
// digits, true, false, null, or arrays of those, with no repeated member
// names -- and
// returns nullopt for anything else, including every input that is invalid
// or that ParseJwtClaims would reject. When it returns claims they equal
// ParseJwtClaims(ParseJsonObject(json)); callers fall back to that pair on
// nullopt (KeySet::VerifyJwt does). About 20x faster than the full parse for
// the tokens EncodeJwt writes. Thread-safe.
std::optional<JwtClaims> ParseSimpleJwtClaims(absl::string_view json);

}  // namespace oauthd::jose

#endif  // OAUTHD_SERVER_JOSE_JWT_H_
