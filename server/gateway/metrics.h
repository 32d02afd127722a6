#ifndef OAUTHD_SERVER_GATEWAY_METRICS_H_
#define OAUTHD_SERVER_GATEWAY_METRICS_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/metrics/registry.h"

namespace oauthd::gateway {

// Request counters and latency histograms of the gateway, rendered in the
// Prometheus text exposition format (version 0.0.4):
//   oauth_gateway_requests_total{endpoint,grant_type,outcome}
//   oauth_gateway_request_duration_seconds{endpoint} (histogram)
//   oauth_gateway_open_connections, oauth_gateway_rejected_connections_total,
//   oauth_gateway_rejected_connections_per_address_total,
//   oauth_gateway_evicted_idle_connections_total
// Label values come from small fixed sets chosen by the caller (endpoint
// names, known grant types, OAuth error codes), so series stay bounded.
//
// Buckets: metrics::kLatencyBuckets. Thread-safe.
class Metrics {
 public:
  Metrics();

  // Records one finished request. `grant_type` is "" where it does not apply;
  // `outcome` is "success" or the OAuth error code / HTTP failure class.
  void RecordRequest(absl::string_view endpoint, absl::string_view grant_type,
                     absl::string_view outcome, absl::Duration latency);

  void ConnectionOpened() { open_connections_.fetch_add(1, std::memory_order_relaxed); }
  void ConnectionClosed() { open_connections_.fetch_sub(1, std::memory_order_relaxed); }
  // A connection refused because the connection cap was reached (counted in
  // oauth_gateway_rejected_connections_total); `per_address`: it was the
  // per-source-address cap (also counted in the _per_address_ counter).
  void ConnectionRejected(bool per_address = false) {
    rejected_connections_.fetch_add(1, std::memory_order_relaxed);
    if (per_address) rejected_per_address_.fetch_add(1, std::memory_order_relaxed);
  }
  // An idle connection closed to make room for a new one.
  void IdleConnectionEvicted() { evicted_idle_.fetch_add(1, std::memory_order_relaxed); }

  std::string RenderPrometheus() const { return registry_.Render(); }

 private:
  std::atomic<int64_t> open_connections_{0};
  std::atomic<uint64_t> rejected_connections_{0};
  std::atomic<uint64_t> rejected_per_address_{0};
  std::atomic<uint64_t> evicted_idle_{0};
  // The shared implementation (server/metrics/registry.h): per-thread shards,
  // no lock shared by all requests.
  metrics::Registry registry_;
  metrics::CounterFamily& requests_;
  metrics::HistogramFamily& latency_;
};

}  // namespace oauthd::gateway

#endif  // OAUTHD_SERVER_GATEWAY_METRICS_H_
