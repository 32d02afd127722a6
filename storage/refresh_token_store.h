#ifndef OAUTHD_STORAGE_REFRESH_TOKEN_STORE_H_
#define OAUTHD_STORAGE_REFRESH_TOKEN_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace oauthd::storage {

// A grant is one authorization by a resource owner (a consent in the code
// flow, a password login). Its refresh tokens form one family: every token
// rotated out of the grant shares its id, so `family_id` IS the grant id
// (RFC 9700 §4.14.2). Access tokens minted from the grant carry the id in
// their `grant_id` claim. Revoking the grant (RevokeFamily) ends all of them.
struct RefreshGrant {
  std::string family_id;  // the grant id
  std::string client_id;
  std::string subject;
  std::string username;
  // The scope of the grant. Every refresh token of the grant carries exactly
  // this scope (RFC 6749 §6); only access tokens may be narrower.
  std::string scope;
  std::vector<std::string> audiences;
  int64_t issued_at = 0;          // unix seconds: this token
  int64_t expires_at = 0;         // unix seconds: this token
  int64_t family_expires_at = 0;  // unix seconds: absolute end of the family
  // Unix milliseconds: when the owner authorized the grant. Compared with the
  // user's and the client's "not before" instants (revocation_store.h).
  int64_t granted_at_ms = 0;
  // Unix seconds: how long the grant record (and its revocation state) is
  // kept; no token of the grant may outlive it. 0 means family_expires_at.
  // Set at creation only.
  int64_t grant_expires_at = 0;
};

// A grant as listed for its owner (admin "list a user's grants").
struct GrantSummary {
  std::string grant_id;
  std::string client_id;
  std::string scope;
  int64_t granted_at_ms = 0;  // unix milliseconds
  int64_t last_used_at = 0;   // unix seconds: the last token issued from it
  int64_t expires_at = 0;     // unix seconds: the grant record's end
};

// A rotation request: the presented token's hash and its successor.
struct RefreshRotation {
  std::string client_id;       // the authenticated client
  // Checked to be within the grant's scope (kScopeWidened otherwise); the
  // successor keeps the grant's whole scope whatever is requested: narrowing
  // applies to the access token only, which is the caller's business.
  std::string requested_scope;
  int64_t now = 0;              // unix seconds
  std::string successor_hash;   // SHA-256 hex of the new token
  int64_t successor_ttl_seconds = 0;  // capped by the family's end
  // Grace window (RFC 9700 §4.14.2 allows one for lost responses): within
  // grace_seconds after the first rotation, presenting the old token again
  // returns `sealed_successor` from the first rotation instead of revoking
  // the family. The sealed value is opaque to the store (the successor token
  // encrypted under a key only the old token's holder can derive).
  int64_t grace_seconds = 0;
  // Retry window for a lost answer (a Redis failover after the rotation was
  // made, a 503 the client retries): within retry_grace_seconds after the
  // first rotation, presenting the old token again while its successor has
  // not been rotated itself (exchanged for a token) is also answered
  // kGraceReplay. Once the successor has been exchanged, presenting the old
  // token is reuse at once. A thief racing
  // the client inside the window gets the same successor, not a second one;
  // whichever of the two presents it second is then reuse.
  int64_t retry_grace_seconds = 0;
  // Required (non-empty) when either window is > 0.
  std::string sealed_successor;
};

// A stored token as Lookup sees it.
struct RefreshTokenState {
  RefreshGrant grant;
  bool rotated = false;  // replaced by a successor; presenting it is reuse
};

struct RotateResult {
  enum class Outcome {
    kRotated,         // `grant` is the new token's grant (the grant's scope)
    kGraceReplay,     // within a grace or retry window: `sealed_successor` from
                      // the first rotation
    kReuseDetected,   // rotated token presented again: the family is revoked now
    kNotFound,        // unknown, expired or revoked family
    kClientMismatch,  // issued to another client; nothing changed
    kScopeWidened,    // requested scope not within the grant; nothing changed
  };
  Outcome outcome = Outcome::kNotFound;
  RefreshGrant grant;
  std::string sealed_successor;
};

// Grants and their refresh tokens, keyed by SHA-256 (hex) of the token.
// Every method is a single atomic operation on the store, except that the
// per-subject index (ListGrants) is written beside the grant, not with it.
class RefreshTokenStore {
 public:
  virtual ~RefreshTokenStore() = default;

  // Starts a grant (or adds to one) with a first token living `ttl_seconds`.
  // The grant record is created from `grant` when there is none and lives
  // until grant.grant_expires_at (family_expires_at when 0).
  // FAILED_PRECONDITION when the grant is revoked, ALREADY_EXISTS when the
  // token hash exists, INVALID_ARGUMENT for missing ids or times.
  virtual absl::Status Create(absl::string_view token_hash,
                              const RefreshGrant& grant,
                              int64_t ttl_seconds) = 0;
  // Starts a grant that has no refresh token (its access tokens still name
  // it). grant_expires_at is required; issued_at is taken as the grant's
  // last use; expires_at and family_expires_at are ignored.
  // FAILED_PRECONDITION when the grant id is revoked, ALREADY_EXISTS when it
  // exists.
  virtual absl::Status CreateGrant(const RefreshGrant& grant) = 0;
  // Live (unexpired, unrevoked) grants of `subject`, oldest first, at most
  // `limit` (>= 1).
  virtual absl::StatusOr<std::vector<GrantSummary>> ListGrants(
      absl::string_view subject, int limit) = 0;
  // Rotates the token (see RotateResult). `family_id` is the family encoded
  // in the presented token, used to find the family marker.
  // Repeating a call whose rotation was made (same token, same
  // successor_hash) answers kRotated again and writes nothing: a caller that
  // lost the answer (a Redis failover) may ask again. Nobody else can repeat
  // it: the successor is a fresh secret of the call that made the rotation.
  virtual absl::StatusOr<RotateResult> Rotate(absl::string_view family_id,
                                              absl::string_view token_hash,
                                              const RefreshRotation& rotation) = 0;
  // A known, unexpired token whose family is not revoked, else nullopt.
  // Changes nothing.
  virtual absl::StatusOr<std::optional<RefreshTokenState>> Lookup(
      absl::string_view family_id, absl::string_view token_hash) = 0;
  // Marks the grant revoked: no refresh token of it is accepted afterwards and
  // Check (revocation_store.h) reports it revoked, so its access tokens are
  // inactive. Revoking an unknown grant succeeds and is remembered for
  // kUnknownFamilyRevocationTtl (a Create racing it cannot start it afresh).
  virtual absl::Status RevokeFamily(absl::string_view family_id) = 0;
};

}  // namespace oauthd::storage

#endif  // OAUTHD_STORAGE_REFRESH_TOKEN_STORE_H_
