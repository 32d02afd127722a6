#ifndef OAUTHD_SERVER_METRICS_HISTOGRAM_H_
#define OAUTHD_SERVER_METRICS_HISTOGRAM_H_

// A latency histogram that many threads record into without a lock: one
// relaxed atomic increment per bucket, count and sum. Read (Snapshot) by the
// Prometheus registry at scrape time; a snapshot taken while others record
// may be off by the observations in flight, never torn per field.

#include <array>
#include <atomic>
#include <cstdint>

#include "absl/time/time.h"

namespace oauthd::metrics {

// Upper bounds (seconds) of the latency buckets every oauthd and gateway
// histogram uses: 0.1 ms to 10 s.
inline constexpr std::array<double, 16> kLatencyBuckets = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
    0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};

// Counts per bucket (not cumulative; the last slot is +Inf), total count and
// sum in seconds.
struct HistogramSnapshot {
  std::array<uint64_t, kLatencyBuckets.size() + 1> buckets{};
  uint64_t count = 0;
  double sum_seconds = 0;

  void Add(const HistogramSnapshot& other);
};

// The index in kLatencyBuckets (or kLatencyBuckets.size() for +Inf) that
// `seconds` falls in.
size_t LatencyBucketIndex(double seconds);

// Thread-safe, lock-free.
class AtomicHistogram {
 public:
  void Observe(absl::Duration latency);
  HistogramSnapshot Snapshot() const;

 private:
  std::array<std::atomic<uint64_t>, kLatencyBuckets.size() + 1> buckets_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_ns_{0};
};

}  // namespace oauthd::metrics

#endif  // OAUTHD_SERVER_METRICS_HISTOGRAM_H_
