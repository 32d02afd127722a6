#include "storage/redis/connection_pool.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace oauthd::storage::redis_internal {

ConnectionPool::ConnectionPool(ConnectionConfig config, int size,
                               absl::Duration wait_timeout)
    : config_(std::move(config)), size_(size), wait_timeout_(wait_timeout) {}

ConnectionPool::~ConnectionPool() = default;

absl::StatusOr<ConnectionPool::Lease> ConnectionPool::Acquire() {
  const absl::Time deadline = absl::Now() + wait_timeout_;
  for (;;) {
    std::unique_ptr<Connection> conn;
    {
      absl::MutexLock lock(&mu_);
      const uint64_t failures_at_start = connect_failures_;
      auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !idle_.empty() || open_ < size_ ||
               connect_failures_ != failures_at_start;
      };
      if (!mu_.AwaitWithDeadline(absl::Condition(&ready), deadline)) {
        return absl::UnavailableError(absl::StrCat(
            "redis: no free connection within ",
            absl::FormatDuration(wait_timeout_), " (pool size ", size_, ")"));
      }
      if (!idle_.empty()) {
        conn = std::move(idle_.back());  // most recently used: likely alive
        idle_.pop_back();
      } else if (open_ < size_) {
        ++open_;  // reserve the slot, connect below without the lock
      } else {
        return last_connect_error_;
      }
    }
    if (conn != nullptr) {
      if (conn->IdleSocketHealthy()) return Lease(this, std::move(conn));
      conn.reset();  // closed by the server: drop it and try again
      absl::MutexLock lock(&mu_);
      --open_;
      continue;
    }
    absl::StatusOr<std::unique_ptr<Connection>> opened = Connection::Open(config_);
    if (!opened.ok()) {
      absl::MutexLock lock(&mu_);
      --open_;
      ++connect_failures_;
      last_connect_error_ = opened.status();
      return opened.status();
    }
    return Lease(this, *std::move(opened));
  }
}

void ConnectionPool::Release(std::unique_ptr<Connection> conn) {
  if (conn->broken()) {
    conn.reset();  // close outside the lock
    absl::MutexLock lock(&mu_);
    --open_;
    return;
  }
  absl::MutexLock lock(&mu_);
  idle_.push_back(std::move(conn));
}

int ConnectionPool::open_connections() const {
  absl::MutexLock lock(&mu_);
  return open_;
}

int ConnectionPool::idle_connections() const {
  absl::MutexLock lock(&mu_);
  return idle_.size();
}

}  // namespace oauthd::storage::redis_internal
