#ifndef OAUTHD_STORAGE_REDIS_CONNECTION_POOL_H_
#define OAUTHD_STORAGE_REDIS_CONNECTION_POOL_H_

// Internal to storage/redis: a bounded pool of synchronous connections.
//
// - At most `size` connections exist (idle + leased + being opened).
// - Connections are opened lazily, outside the lock, by the caller that needs
//   one; there is no background thread.
// - A caller that finds the pool full waits up to `wait_timeout`. It gives up
//   early, with the connect error, when some other caller fails to connect
//   meanwhile: with Redis down nobody waits for a slot that cannot help.
// - A lease returns its connection when destroyed; a broken connection (I/O
//   error, timeout, protocol error) is closed instead, freeing its slot.
// - Idle connections are checked with a zero-timeout poll when leased; one the
//   server has closed (e.g. Redis restarted) is dropped before it fails a call.
// - Where to connect comes from a PrimaryLocator (primary_locator.h): a fixed
//   address, or Redis Sentinel. A failed connect, and a connection that comes
//   back broken or suspect, is reported to it; when it names a new address
//   (a new generation), idle connections to the old one are closed at once and
//   leased ones when they come back. A caller whose connect failed retries
//   once if the locator meanwhile names another address.

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "storage/redis/connection.h"
#include "storage/redis/primary_locator.h"

namespace oauthd::storage::redis_internal {

class ConnectionPool {
 public:
  // Exclusive use of one connection; movable, returns it on destruction.
  class Lease {
   public:
    Lease(Lease&& other) noexcept
        : pool_(other.pool_), conn_(std::move(other.conn_)) {}
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease() {
      if (conn_ != nullptr) pool_->Release(std::move(conn_));
    }
    Connection* operator->() const { return conn_.get(); }
    Connection& operator*() const { return *conn_; }

   private:
    friend class ConnectionPool;
    Lease(ConnectionPool* pool, std::unique_ptr<Connection> conn)
        : pool_(pool), conn_(std::move(conn)) {}
    ConnectionPool* pool_;
    std::unique_ptr<Connection> conn_;
  };

  // `config.host`/`config.port` are ignored: `locator` says where to connect.
  ConnectionPool(ConnectionConfig config, std::unique_ptr<PrimaryLocator> locator,
                 int size, absl::Duration wait_timeout);
  ~ConnectionPool();  // all leases must have been returned

  // A healthy connection, or UNAVAILABLE (cannot connect, or none free within
  // the wait timeout). During a failover announced by the Sentinels, waits
  // for the new primary until `failover_deadline` at the latest (see
  // PrimaryLocator::Current; absl::InfinitePast(): no waiting).
  absl::StatusOr<Lease> Acquire(absl::Time failover_deadline = absl::InfinitePast());

  // Counts for tests and metrics.
  int open_connections() const;
  int idle_connections() const;

  PrimaryLocator& locator() { return *locator_; }

 private:
  void Release(std::unique_ptr<Connection> conn);
  // Hands out `conn` (counted as in use).
  Lease Leased(std::unique_ptr<Connection> conn);
  // Mirrors open_ into the metrics.
  void PublishOpen() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Adopts a newer generation: returns the idle connections to close.
  std::vector<std::unique_ptr<Connection>> AdoptGeneration(uint64_t generation)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const ConnectionConfig config_;
  const std::unique_ptr<PrimaryLocator> locator_;
  const int size_;
  const absl::Duration wait_timeout_;
  RedisMetrics* const metrics_;  // may be null

  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;  // idle + leased + connecting
  uint64_t connect_failures_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status last_connect_error_ ABSL_GUARDED_BY(mu_);
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;  // newest seen
};

}  // namespace oauthd::storage::redis_internal

#endif  // OAUTHD_STORAGE_REDIS_CONNECTION_POOL_H_
