#ifndef OAUTHD_STORAGE_REVOCATION_STORE_H_
#define OAUTHD_STORAGE_REVOCATION_STORE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace oauthd::storage {

// Whose "not before" instant: every grant a resource owner (user, by
// subject) or a client (by client_id) authorized before it is revoked, and
// every client_credentials token a client obtained before it.
enum class Owner { kUser, kClient };

// What one introspection needs to know about a token, answered in one round
// trip. Empty fields are not asked.
struct RevocationQuery {
  std::string jti;           // the access token's jti
  std::string grant_id;      // its grant ("" for client_credentials tokens)
  std::string user_subject;  // the grant's resource owner
  std::string client_id;     // the client the token was issued to
};

struct RevocationState {
  bool jti_revoked = false;
  bool grant_found = false;    // a grant record (active or revoked) exists
  bool grant_revoked = false;  // revoked, or remembered as revoked
  // Of an active grant record; 0 from a checker that does not read grant
  // records (the revocation view): the grant id then tells it.
  int64_t granted_at_ms = 0;
  // Unix milliseconds; 0 when the owner was never revoked.
  int64_t user_not_before_ms = 0;
  int64_t client_not_before_ms = 0;
};

// One revocation, as the in-memory revocation view learns it.
struct RevocationEvent {
  enum class Kind { kJti, kGrant, kUser, kClient };
  Kind kind = Kind::kJti;
  std::string id;              // jti, grant id, subject or client id
  int64_t not_before_ms = 0;   // owners only
  int64_t expires_ms = 0;      // unix ms: after this it concerns no live token
};

// Answers the revocation questions of one token. Implemented by the stores
// (exact, one round trip) and by the in-memory revocation view of a Redis
// deployment (no round trip; see storage/redis/revocation_view.h).
class RevocationChecker {
 public:
  virtual ~RevocationChecker() = default;
  // Everything introspection checks: the jti denylist, the grant record
  // (refresh_token_store.h), the user's and the client's not-before instants.
  // Changes nothing. UNAVAILABLE when the state cannot be known now.
  virtual absl::StatusOr<RevocationState> Check(const RevocationQuery& query) = 0;
};

// Revocations as they happen, for subscribers outside the process (the
// WatchRevocations RPC). Implemented by the in-memory revocation view.
class RevocationFeed {
 public:
  // Called with each revocation applied to the feed, and with nullptr as a
  // heartbeat whenever the feed hears from its source (several times a
  // second while it is fresh). Runs on the feed's threads; must not block.
  using Listener = std::function<void(const RevocationEvent*)>;

  virtual ~RevocationFeed() = default;
  // Returns an id for RemoveListener. Events applied after this call reach
  // the listener; add before taking a Snapshot so nothing falls in between.
  virtual uint64_t AddListener(Listener listener) = 0;
  // After it returns the listener is not running and is never called again.
  virtual void RemoveListener(uint64_t id) = 0;
  // Every live revocation held now.
  virtual std::vector<RevocationEvent> Snapshot() const = 0;
  // As RevocationChecker: synchronised and recently heard from the source.
  virtual bool Fresh() const = 0;
};

// Revocation state that is not a grant record: a denylist of revoked JWT
// access tokens by `jti`, and per-owner "not before" instants. Entries live
// only as long as a token they could concern. Thread-safe.
class RevocationStore : public RevocationChecker {
 public:

  // Denylists `jti` for `ttl` (> 0). Revoking twice is fine.
  virtual absl::Status Revoke(absl::string_view jti, absl::Duration ttl) = 0;
  virtual absl::StatusOr<bool> IsRevoked(absl::string_view jti) = 0;

  // Moves the owner's not-before instant to `not_before_ms` (unix ms) unless
  // it is already later (it never moves back), and keeps it for `ttl` (> 0).
  // INVALID_ARGUMENT for an empty id, a non-positive instant or TTL.
  virtual absl::Status RevokeOwner(Owner owner, absl::string_view id,
                                   int64_t not_before_ms, absl::Duration ttl) = 0;
  // The owner's not-before instant (unix ms), 0 when there is none.
  virtual absl::StatusOr<int64_t> OwnerNotBefore(Owner owner, absl::string_view id) = 0;

  // RevocationChecker::Check, read in one round trip.
};

}  // namespace oauthd::storage

#endif  // OAUTHD_STORAGE_REVOCATION_STORE_H_
