#ifndef OAUTHD_STORAGE_REDIS_REDIS_OPTIONS_H_
#define OAUTHD_STORAGE_REDIS_REDIS_OPTIONS_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "storage/redis/redis_metrics.h"
#include "storage/revocation_store.h"

namespace oauthd::storage {

// A TCP endpoint, e.g. one Sentinel.
struct HostPort {
  std::string host;
  int port = 0;
};

// How to reach Redis and how to use the connection pool. Every timeout is
// finite; ValidateRedisOptions says which values are accepted.
struct RedisOptions {
  // TCP host name or address. A value starting with '/' is a Unix socket
  // path (then `port` is ignored).
  std::string host = "127.0.0.1";
  int port = 6379;
  // ACL user (Redis >= 6) and password: AUTH on every new connection when
  // `password` is set ("AUTH user password" when `user` is set too).
  std::string user;
  std::string password;
  // Logical database, selected on every new connection when not 0.
  int db = 0;

  // At most this many connections are open at once; callers beyond that
  // wait up to `pool_wait_timeout` for one to come back.
  int pool_size = 16;
  // TCP connect, and the AUTH/SELECT/SCRIPT LOAD handshake after it.
  absl::Duration connect_timeout = absl::Milliseconds(200);
  // Per command, covering the write and the reply. A connection whose
  // command timed out is closed (its reply would arrive out of order).
  absl::Duration command_timeout = absl::Milliseconds(500);
  absl::Duration pool_wait_timeout = absl::Milliseconds(500);

  // Prepended to every key (see the schema in redis_store.h). Lets several
  // deployments or test cases share one Redis database.
  std::string key_prefix = "oauth:";

  // ---- Redis Sentinel (see docs/high-availability.md) ----
  //
  // When not empty, `host` and `port` are ignored: the primary of
  // `master_name` is asked from these Sentinels (SENTINEL
  // get-master-addr-by-name, each in turn, the last one that answered first),
  // every new connection checks with ROLE that it reached a primary, and a
  // connection error, READONLY or a ROLE mismatch makes the store ask again
  // and drop pooled connections to a primary that changed. `user`, `password`
  // and `db` apply to the data nodes; the Sentinels are reached without AUTH.
  std::vector<HostPort> sentinels;
  std::string master_name = "mymaster";
  // After a failure, the Sentinels are asked again at most this often; calls
  // in between fail fast with UNAVAILABLE (or use the last known primary).
  absl::Duration sentinel_retry_interval = absl::Milliseconds(100);
  // Listen to the Sentinels (one background thread, one connection per
  // Sentinel): fail fast from the moment a failover's leader promotes a
  // replica, and move to the new primary as soon as it is announced (see
  // primary_locator.h). Off, a failover is noticed only through errors — and
  // a planned failover raises none for about ten seconds while the old
  // primary still accepts (and later drops) writes. Off only in tests.
  bool sentinel_watch = true;

  // ---- Replication acknowledgement for security-relevant writes ----
  //
  // When > 0, every write whose loss would weaken security (code redemption,
  // refresh rotation and reuse detection, family and token revocation, client
  // and user update and deletion) is preceded by ROLE (fewer online replicas:
  // UNAVAILABLE, nothing written) and followed, in the same round trip as the
  // write, by `WAIT wait_replicas <wait_timeout>`. If fewer replicas
  // acknowledged it in time, the call fails with UNAVAILABLE (the write did
  // happen on the primary and may or may not survive a failover; the caller
  // never learns a result that a failover could take back). Two round trips
  // instead of one for those writes. 0 (the default) skips all this: writes
  // are acknowledged by the primary alone, as Redis does by default.
  int wait_replicas = 0;
  // Must be shorter than command_timeout.
  absl::Duration wait_timeout = absl::Milliseconds(100);

  // ---- Riding out a failover (docs/high-availability.md) ----
  //
  // How long a call may wait for a failover instead of failing: while the
  // Sentinels announce one (from +odown or the promotion until
  // +switch-master) a call waits for the new primary; and with
  // wait_replicas > 0, a security-relevant write waits for enough replicas
  // to be online (ROLE, polled) and to acknowledge it (WAIT, repeated).
  // Bounded twice: per call, and per episode (a fence, or a shortage of
  // replicas) counted from its start, so a lasting outage makes calls fail
  // fast again instead of tying up every caller for this long; and never
  // past the deadline of the request being served (storage/call_deadline.h)
  // less 250 ms. Zero: no waiting, UNAVAILABLE at once.
  absl::Duration failover_wait = absl::Seconds(3);

  // ---- Revocation feed (storage/redis/revocation_view.h) ----
  //
  // Every revocation this store writes is also announced to the in-memory
  // views of all replicas (an index in Redis and a Pub/Sub message), and
  // handed to this function in this process before the write returns, so
  // the replica that revoked sees it at once. Optional.
  std::function<void(const RevocationEvent&)> on_revocation;

  // ---- Metrics ----
  //
  // Round-trip latencies, errors and pool use are counted here when set
  // (shared by the store and the revocation view). Optional.
  std::shared_ptr<RedisMetrics> metrics;
};

// INVALID_ARGUMENT naming the offending field, else OK.
absl::Status ValidateRedisOptions(const RedisOptions& options);

// Parses `redis://[[user]:password@]host[:port][/db]` into options with every
// other field at its default. User and password may be percent-encoded; the
// host may be a bracketed IPv6 literal (`redis://[::1]:6380`). The port
// defaults to 6379 and the db to 0.
//
// INVALID_ARGUMENT for another scheme (`rediss://` is not supported: hiredis
// 0.14 has no TLS), a bad port or db, or trailing garbage.
//
// Example:
//   ASSIGN_OR_RETURN(RedisOptions o, ParseRedisUrl("redis://:s3cret@redis:6379/2"));
absl::StatusOr<RedisOptions> ParseRedisUrl(absl::string_view url);

// Parses "host:port,host:port,..." (IPv6 hosts bracketed: "[::1]:26379";
// spaces around items are ignored; the port is required). INVALID_ARGUMENT
// naming the bad item; an empty string gives an empty list.
//
// Example:
//   ASSIGN_OR_RETURN(options.sentinels,
//                    ParseHostPortList("10.0.0.1:26379,10.0.0.2:26379"));
absl::StatusOr<std::vector<HostPort>> ParseHostPortList(absl::string_view list);

}  // namespace oauthd::storage

#endif  // OAUTHD_STORAGE_REDIS_REDIS_OPTIONS_H_
