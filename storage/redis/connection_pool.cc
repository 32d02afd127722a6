#include "storage/redis/connection_pool.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace oauthd::storage::redis_internal {

ConnectionPool::ConnectionPool(ConnectionConfig config,
                               std::unique_ptr<PrimaryLocator> locator, int size,
                               absl::Duration wait_timeout)
    : config_(std::move(config)),
      locator_(std::move(locator)),
      size_(size),
      wait_timeout_(wait_timeout),
      metrics_(config_.metrics) {}

ConnectionPool::~ConnectionPool() = default;

std::vector<std::unique_ptr<Connection>> ConnectionPool::AdoptGeneration(
    uint64_t generation) {
  std::vector<std::unique_ptr<Connection>> outdated;
  if (generation <= generation_) return outdated;
  generation_ = generation;
  outdated.swap(idle_);
  open_ -= static_cast<int>(outdated.size());
  PublishOpen();
  return outdated;
}

absl::StatusOr<ConnectionPool::Lease> ConnectionPool::Acquire(absl::Time failover_deadline) {
  const absl::Time deadline = absl::Now() + wait_timeout_;
  bool retried_connect = false;
  for (;;) {
    absl::StatusOr<PrimaryAddress> where = locator_->Current(failover_deadline);
    if (!where.ok()) return where.status();
    // Declared before the lock so that they are closed after it is released.
    std::vector<std::unique_ptr<Connection>> outdated;
    std::unique_ptr<Connection> conn;
    {
      absl::MutexLock lock(&mu_);
      outdated = AdoptGeneration(where->generation);
      if (where->generation < generation_) continue;  // raced with a newer answer
      const uint64_t failures_at_start = connect_failures_;
      auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !idle_.empty() || open_ < size_ ||
               connect_failures_ != failures_at_start;
      };
      if (!mu_.AwaitWithDeadline(absl::Condition(&ready), deadline)) {
        if (metrics_ != nullptr) {
          metrics_->pool_wait_timeouts.fetch_add(1, std::memory_order_relaxed);
        }
        return absl::UnavailableError(absl::StrCat(
            "redis: no free connection within ",
            absl::FormatDuration(wait_timeout_), " (pool size ", size_, ")"));
      }
      if (!idle_.empty()) {
        conn = std::move(idle_.back());  // most recently used: likely alive
        idle_.pop_back();
      } else if (open_ < size_) {
        ++open_;  // reserve the slot, connect below without the lock
        PublishOpen();
      } else {
        return last_connect_error_;
      }
    }
    if (conn != nullptr) {
      if (conn->IdleSocketHealthy()) return Leased(std::move(conn));
      // Closed by the server (restart, kill, CLIENT KILL after a failover):
      // drop it, tell the locator, and try again.
      const uint64_t generation = conn->generation();
      conn.reset();
      locator_->ReportFailure(generation);
      absl::MutexLock lock(&mu_);
      --open_;
      PublishOpen();
      continue;
    }
    absl::StatusOr<std::unique_ptr<Connection>> opened =
        Connection::Open(config_, where->host, where->port);
    if (!opened.ok()) {
      locator_->ReportFailure(where->generation);
      {
        absl::MutexLock lock(&mu_);
        --open_;
        PublishOpen();
        if (metrics_ != nullptr) metrics_->connect_errors.fetch_add(1, std::memory_order_relaxed);
        ++connect_failures_;
        last_connect_error_ = opened.status();
      }
      // The address may have been stale: if the locator now names another
      // primary (perhaps after waiting for a failover announced meanwhile),
      // try that one once. Otherwise fail fast.
      if (!retried_connect) {
        retried_connect = true;
        absl::StatusOr<PrimaryAddress> next = locator_->Current(failover_deadline);
        if (next.ok() && next->generation != where->generation) continue;
      }
      return opened.status();
    }
    (*opened)->set_generation(where->generation);
    locator_->ReportHealthy(where->generation);
    return Leased(*std::move(opened));
  }
}

ConnectionPool::Lease ConnectionPool::Leased(std::unique_ptr<Connection> conn) {
  if (metrics_ != nullptr) metrics_->pool_in_use.fetch_add(1, std::memory_order_relaxed);
  return Lease(this, std::move(conn));
}

void ConnectionPool::PublishOpen() {
  if (metrics_ != nullptr) metrics_->pool_open.store(open_, std::memory_order_relaxed);
}

void ConnectionPool::Release(std::unique_ptr<Connection> conn) {
  if (metrics_ != nullptr) metrics_->pool_in_use.fetch_sub(1, std::memory_order_relaxed);
  if (conn->broken() || conn->suspect()) {
    locator_->ReportFailure(conn->generation());
    conn->ClearSuspect();
  }
  {
    absl::MutexLock lock(&mu_);
    if (!conn->broken() && conn->generation() == generation_) {
      idle_.push_back(std::move(conn));
      return;
    }
    --open_;
    PublishOpen();
  }
  conn.reset();  // close outside the lock
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
