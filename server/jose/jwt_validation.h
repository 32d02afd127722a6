#ifndef OAUTHD_SERVER_JOSE_JWT_VALIDATION_H_
#define OAUTHD_SERVER_JOSE_JWT_VALIDATION_H_

// Claim checks for JWT access tokens (RFC 9068 §4, RFC 7519 §4.1), applied
// to a JWT whose signature KeySet::VerifyJwt has already checked.

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/jose/jwt.h"

namespace oauthd::jose {

// Checks, in this order:
//   - header "typ" is "at+jwt" or "application/at+jwt" (case-insensitive);
//   - "iss" equals `expected_issuer` exactly;
//   - "exp" is present and `now` < exp + leeway;
//   - "nbf", if present, is <= `now` + leeway;
//   - "iat" is present and <= `now` + leeway (not issued in the future);
//   - "sub", "client_id", "jti" are present and "aud" is non-empty.
// A negative `leeway` counts as zero. Returns OK or Unauthenticated with a
// one-line reason such as "access token expired at 2024-05-01T10:00:00+00:00".
// Audience matching is separate (ValidateAudience). Thread-safe.
absl::Status ValidateAccessTokenClaims(const VerifiedJwt& jwt, absl::string_view expected_issuer,
                                       absl::Time now, absl::Duration leeway);

// Which check of ValidateAccessTokenClaims failed, for callers that report
// typed errors (e.g. the client library's Verifier).
enum class ClaimsProblem {
  kNone,            // all checks passed
  kWrongType,       // header "typ" missing or not at+jwt
  kWrongIssuer,     // "iss" missing or not the expected issuer
  kExpired,         // "exp" missing or now >= exp + leeway
  kNotYetValid,     // "nbf" > now + leeway
  kIssuedInFuture,  // "iat" missing or > now + leeway
  kMissingClaim,    // "sub", "client_id", "jti" or "aud" missing
};

// As above, and sets `*problem` (if not null) to the failed check, or kNone.
absl::Status ValidateAccessTokenClaims(const VerifiedJwt& jwt, absl::string_view expected_issuer,
                                       absl::Time now, absl::Duration leeway,
                                       ClaimsProblem* problem);

// Returns OK if "aud" contains `audience` (exact match, RFC 7519 §4.1.3),
// Unauthenticated otherwise.
absl::Status ValidateAudience(const VerifiedJwt& jwt, absl::string_view audience);

}  // namespace oauthd::jose

#endif  // OAUTHD_SERVER_JOSE_JWT_VALIDATION_H_
