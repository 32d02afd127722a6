#ifndef OAUTHD_STORAGE_REDIS_PRIMARY_LOCATOR_H_
#define OAUTHD_STORAGE_REDIS_PRIMARY_LOCATOR_H_

// Internal to storage/redis: where the connection pool finds the Redis
// primary. A fixed address (redis_url), or the answer of Redis Sentinel,
// asked again after a failure that suggests a failover.
//
// The Sentinel side follows "Sentinel client spec" of the Redis docs:
// - ask each Sentinel in turn `SENTINEL get-master-addr-by-name <name>`, with
//   the connect timeout on connect and on the reply; the first that names an
//   address wins and is asked first next time (unless its answer has just
//   failed, then the next one is asked first);
// - every new connection checks with ROLE that it reached a primary (the
//   pool's handshake, RoleCheck::kRequired);
// - a connection error, READONLY, MASTERDOWN/NOREPLICAS, an unacknowledged
//   WAIT or a ROLE mismatch reports a failure: the next caller asks the
//   Sentinels again (at most once per retry interval, one caller at a time;
//   the others keep the last known address and fail fast if it is dead);
// - a new address starts a new generation: the pool drops idle connections
//   of older generations and closes leased ones when they come back;
// - a background thread subscribes on every Sentinel (reconnecting, PING
//   every second to notice a silent one) to
//   `+failover-state-send-slaveof-noone`, which the failover's leader
//   publishes just before it promotes a replica: from then on no call goes
//   to the old primary (the fence), because anything it accepts now is
//   dropped when it becomes a replica; to `+odown` for the master (the
//   Sentinels agree it is down and will fail over: fence too, lifted by
//   `-odown` if it comes back first); and to `+switch-master`, which lifts
//   the fence and adopts the new primary at once. Callers that meet the
//   fence wait for the new primary — until their own deadline, and at most
//   `failover_wait` after the fence began — and then get UNAVAILABLE. Without this, a
//   planned failover (SENTINEL FAILOVER, the old primary alive) raises no
//   error at all: Sentinel leaves the old primary writable for about ten
//   seconds after the switch and every write sent there in that time is
//   silently lost. A fence that sees no switch ends after `fence_limit`; the
//   Sentinels are asked again then.
//
// Sentinels are not in the data path: while the primary answers, they are
// not asked, and if they are all down the last known primary is kept.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/redis/redis_options.h"

namespace oauthd::storage::redis_internal {

struct PrimaryAddress {
  std::string host;  // starting with '/': Unix socket path
  int port = 0;
  // Grows by one each time the address changes.
  uint64_t generation = 0;

  friend bool operator==(const PrimaryAddress& a, const PrimaryAddress& b) {
    return a.host == b.host && a.port == b.port;
  }
};

// Thread-safe.
class PrimaryLocator {
 public:
  virtual ~PrimaryLocator() = default;

  // The primary to connect to now. May block while the Sentinels are asked
  // (bounded: per Sentinel, the connect timeout twice). While a failover is
  // under way (the fence, see above) waits for the new primary until
  // `wait_until` at the latest (absl::InfinitePast(): not at all).
  // UNAVAILABLE when no address is known and no Sentinel names one, or the
  // fence is still up when the wait ends.
  virtual absl::StatusOr<PrimaryAddress> Current(absl::Time wait_until) = 0;

  // True while `generation` is the newest address known and no failover is
  // under way: a write acknowledged by it can still be reported done.
  virtual bool IsCurrent(uint64_t generation) = 0;

  // A connection to `generation`'s address failed or saw a sign of a
  // failover. Reports about an older generation are ignored.
  virtual void ReportFailure(uint64_t generation) = 0;

  // A connection to `generation`'s address passed the ROLE check.
  virtual void ReportHealthy(uint64_t generation) = 0;
};

// Always `host`:`port`, generation 0; reports are ignored.
std::unique_ptr<PrimaryLocator> NewFixedLocator(std::string host, int port);

struct SentinelLocatorOptions {
  std::vector<HostPort> sentinels;  // not empty
  std::string master_name;
  // Connect timeout, and the timeout of the reply.
  absl::Duration timeout = absl::Milliseconds(200);
  // Minimum time between two rounds of questions after failures.
  absl::Duration retry_interval = absl::Milliseconds(100);
  // Run the watcher thread (fence and +switch-master).
  bool watch = true;
  absl::Duration fence_limit = absl::Seconds(10);
  // How long after a fence began callers may still wait for the new primary
  // (zero: they fail at once, as before waiting existed).
  absl::Duration failover_wait = absl::ZeroDuration();
};

std::unique_ptr<PrimaryLocator> NewSentinelLocator(SentinelLocatorOptions options);

}  // namespace oauthd::storage::redis_internal

#endif  // OAUTHD_STORAGE_REDIS_PRIMARY_LOCATOR_H_
