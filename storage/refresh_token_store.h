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

// A refresh token's grant. Tokens are grouped in families: every token
// rotated out of one grant shares its family_id (RFC 9700 §4.14.2).
struct RefreshGrant {
  std::string family_id;
  std::string client_id;
  std::string subject;
  std::string username;
  std::string scope;
  std::vector<std::string> audiences;
  int64_t issued_at = 0;          // unix seconds
  int64_t expires_at = 0;         // this token
  int64_t family_expires_at = 0;  // absolute end of the family
};

// A rotation request: the presented token's hash and its successor.
struct RefreshRotation {
  std::string client_id;       // the authenticated client
  std::string requested_scope;  // "" keeps the granted scope
  int64_t now = 0;              // unix seconds
  std::string successor_hash;   // SHA-256 hex of the new token
  int64_t successor_ttl_seconds = 0;  // capped by the family's end
  // Grace window (RFC 9700 §4.14.2 allows one for lost responses): within
  // grace_seconds after the first rotation, presenting the old token again
  // returns `sealed_successor` from the first rotation instead of revoking
  // the family. The sealed value is opaque to the store (the successor token
  // encrypted under a key only the old token's holder can derive).
  int64_t grace_seconds = 0;
  std::string sealed_successor;
};

// A stored token as Lookup sees it.
struct RefreshTokenState {
  RefreshGrant grant;
  bool rotated = false;  // replaced by a successor; presenting it is reuse
};

struct RotateResult {
  enum class Outcome {
    kRotated,         // `grant` is the new token's grant (scope narrowed)
    kGraceReplay,     // within grace: `sealed_successor` from the first rotation
    kReuseDetected,   // rotated token presented again: the family is revoked now
    kNotFound,        // unknown, expired or revoked family
    kClientMismatch,  // issued to another client; nothing changed
    kScopeWidened,    // requested scope not within the grant; nothing changed
  };
  Outcome outcome = Outcome::kNotFound;
  RefreshGrant grant;
  std::string sealed_successor;
};

// Refresh tokens keyed by SHA-256 (hex) of the token, with family records.
// Every method is a single atomic operation on the store.
class RefreshTokenStore {
 public:
  virtual ~RefreshTokenStore() = default;

  // Starts a family (or adds to one) with a first token living `ttl_seconds`.
  // The family marker lives until grant.family_expires_at.
  virtual absl::Status Create(absl::string_view token_hash,
                              const RefreshGrant& grant,
                              int64_t ttl_seconds) = 0;
  // Rotates the token (see RotateResult). `family_id` is the family encoded
  // in the presented token, used to find the family marker.
  virtual absl::StatusOr<RotateResult> Rotate(absl::string_view family_id,
                                              absl::string_view token_hash,
                                              const RefreshRotation& rotation) = 0;
  // A known, unexpired token whose family is not revoked, else nullopt.
  // Changes nothing.
  virtual absl::StatusOr<std::optional<RefreshTokenState>> Lookup(
      absl::string_view family_id, absl::string_view token_hash) = 0;
  // Marks the family revoked: no token of it is accepted afterwards.
  // Revoking an unknown family succeeds.
  virtual absl::Status RevokeFamily(absl::string_view family_id) = 0;
};

}  // namespace oauthd::storage

#endif  // OAUTHD_STORAGE_REFRESH_TOKEN_STORE_H_
