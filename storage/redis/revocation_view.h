#ifndef OAUTHD_STORAGE_REDIS_REVOCATION_VIEW_H_
#define OAUTHD_STORAGE_REDIS_REVOCATION_VIEW_H_

// An in-memory view of the revocation state, kept in every oauthd replica so
// that the API-gateway Check and Introspect answer without a Redis round
// trip (docs/api-gateways.md).
//
// What it holds: revoked jtis, revoked grants, users' and clients' not-before
// instants, each until it concerns no live token. What it does not hold:
// the set of all grants. A token whose grant record is gone (only after
// Redis lost data) is therefore not refused by the view, where the exact
// store check would refuse it; it leaves RevocationState::granted_at_ms 0,
// and the caller reads the grant's instant from the grant id (timed_id.h).
//
// How it stays fresh: one connection SUBSCRIBEs to the store's revocation
// channel (feed.h) and PINGs every 250 ms; after every (re)subscription the
// view reads the whole feed index again (the three zsets), so nothing
// published while it was away is missed. Entries only ever accumulate (a
// revocation is never undone) and are pruned when they end, so applying
// messages and index entries in any order gives the same view. The replica
// that writes a revocation applies it to its own view before the write
// returns (RedisOptions::on_revocation).
//
// Staleness: Check answers UNAVAILABLE (fail closed) until the first
// synchronisation and whenever nothing has been heard from Redis for
// `max_staleness`; Check and Introspect then answer "temporarily
// unavailable" instead of guessing. With Redis up, a revocation on another
// replica reaches this one in one Pub/Sub delivery (well under a second).
//
// Thread safety: all methods may be called concurrently.

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/redis/redis_options.h"
#include "storage/revocation_store.h"

namespace oauthd::storage {

// What the view reports for metrics (docs/operations.md#metrics).
struct RevocationViewStats {
  bool synced = false;  // the index was read since the last (re)subscription
  bool fresh = false;   // Fresh(): Check answers
  // Since the view last heard from Redis (a message, a PING reply), or since
  // it started when it never did: its staleness. Check fails closed once this
  // exceeds max_staleness.
  absl::Duration silence;
  uint64_t resyncs = 0;   // full reads of the index (start and every reconnect)
  uint64_t messages = 0;  // revocations received over Pub/Sub
  size_t entries = 0;     // size()
};

class RevocationView : public RevocationChecker, public RevocationFeed {
 public:
  // Adds one revocation (idempotent; an owner's instant only moves forward)
  // and tells the listeners.
  virtual void Apply(const RevocationEvent& event) = 0;
  // True once synchronised and heard from Redis within max_staleness.
  bool Fresh() const override = 0;
  // Blocks until Fresh() or `timeout`; returns Fresh().
  virtual bool WaitUntilFresh(absl::Duration timeout) = 0;
  // Number of entries held (tests, metrics).
  virtual size_t size() const = 0;
  virtual RevocationViewStats Stats() const = 0;
};

// Starts the view's background thread (it connects on its own; Redis need
// not be up yet). INVALID_ARGUMENT for bad options or max_staleness < 500 ms.
absl::StatusOr<std::unique_ptr<RevocationView>> NewRedisRevocationView(
    const RedisOptions& options, absl::Duration max_staleness);

}  // namespace oauthd::storage

#endif  // OAUTHD_STORAGE_REDIS_REVOCATION_VIEW_H_
