#ifndef OAUTHD_STORAGE_REDIS_REDIS_METRICS_H_
#define OAUTHD_STORAGE_REDIS_REDIS_METRICS_H_

// What the Redis store counts for oauthd's Prometheus metrics
// (docs/operations.md#metrics). Lock-free: every field is an atomic or an
// AtomicHistogram, updated by the threads that talk to Redis and read at
// scrape time.

#include <atomic>
#include <cstdint>

#include "server/metrics/histogram.h"

namespace oauthd::storage {

struct RedisMetrics {
  // Time of each round trip: one command, or one pipeline (a write and its
  // WAIT count once). Covers every connection of the store and of the
  // revocation view's resynchronisation.
  metrics::AtomicHistogram round_trips;
  // Round trips that failed with an I/O error or a timeout (the connection
  // is closed).
  std::atomic<uint64_t> io_errors{0};
  // Error replies (READONLY, LOADING, MASTERDOWN, ...; NOSCRIPT, which is
  // retried at once, is not counted).
  std::atomic<uint64_t> error_replies{0};
  // Connections that could not be opened (refused, timed out, handshake).
  std::atomic<uint64_t> connect_errors{0};
  // Callers that found no free pooled connection within the wait timeout.
  std::atomic<uint64_t> pool_wait_timeouts{0};
  // Pooled connections open now, and leased by a request now.
  std::atomic<int64_t> pool_open{0};
  std::atomic<int64_t> pool_in_use{0};
};

}  // namespace oauthd::storage

#endif  // OAUTHD_STORAGE_REDIS_REDIS_METRICS_H_
