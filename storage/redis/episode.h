#ifndef OAUTHD_STORAGE_REDIS_EPISODE_H_
#define OAUTHD_STORAGE_REDIS_EPISODE_H_

// Internal to storage/redis: since when a condition has held (e.g. "too few
// replicas online"), shared by every caller that meets it, so that waiting
// for it to pass is bounded per episode and not only per call: once it has
// lasted longer than callers may wait, new callers fail at once instead of
// each waiting the whole bound. Thread-safe; lock-free.

#include <atomic>
#include <cstdint>
#include <limits>

#include "absl/time/time.h"

namespace oauthd::storage::redis_internal {

class Episode {
 public:
  // The condition holds at `now`: returns when it began (`now` if it was not
  // holding before).
  absl::Time Begin(absl::Time now) {
    int64_t expected = kNone;
    const int64_t at = absl::ToUnixNanos(now);
    if (since_.compare_exchange_strong(expected, at, std::memory_order_relaxed)) {
      return now;
    }
    return absl::FromUnixNanos(expected);
  }

  // The condition does not hold (any more). Cheap when it already did not.
  void End() {
    if (since_.load(std::memory_order_relaxed) != kNone) {
      since_.store(kNone, std::memory_order_relaxed);
    }
  }

 private:
  static constexpr int64_t kNone = std::numeric_limits<int64_t>::max();
  std::atomic<int64_t> since_{kNone};
};

}  // namespace oauthd::storage::redis_internal

#endif  // OAUTHD_STORAGE_REDIS_EPISODE_H_
