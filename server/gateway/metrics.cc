#include "server/gateway/metrics.h"

namespace oauthd::gateway {

using metrics::MetricType;

Metrics::Metrics()
    : requests_(registry_.AddCounter(
          "oauth_gateway_requests_total",
          "HTTP requests by endpoint, grant type and outcome (success or the OAuth error "
          "code).",
          {"endpoint", "grant_type", "outcome"})),
      latency_(registry_.AddHistogram(
          "oauth_gateway_request_duration_seconds",
          "Time from a complete request to its response, by endpoint.", {"endpoint"})) {
  registry_.AddCallback("oauth_gateway_open_connections", "HTTP connections currently open.",
                        MetricType::kGauge, [this] {
                          return static_cast<double>(
                              open_connections_.load(std::memory_order_relaxed));
                        });
  registry_.AddCallback("oauth_gateway_rejected_connections_total",
                        "Connections refused because a connection cap was reached.",
                        MetricType::kCounter, [this] {
                          return static_cast<double>(
                              rejected_connections_.load(std::memory_order_relaxed));
                        });
  registry_.AddCallback("oauth_gateway_rejected_connections_per_address_total",
                        "Connections refused because their source address reached its "
                        "connection cap.",
                        MetricType::kCounter, [this] {
                          return static_cast<double>(
                              rejected_per_address_.load(std::memory_order_relaxed));
                        });
  registry_.AddCallback("oauth_gateway_evicted_idle_connections_total",
                        "Idle keep-alive connections closed to make room for a new "
                        "connection at a cap.",
                        MetricType::kCounter, [this] {
                          return static_cast<double>(
                              evicted_idle_.load(std::memory_order_relaxed));
                        });
}

void Metrics::RecordRequest(absl::string_view endpoint, absl::string_view grant_type,
                            absl::string_view outcome, absl::Duration latency) {
  requests_.Increment({endpoint, grant_type, outcome});
  latency_.Observe({endpoint}, latency);
}

}  // namespace oauthd::gateway
