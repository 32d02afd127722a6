#include "server/gateway/metrics.h"

#include "absl/strings/str_cat.h"

namespace oauthd::gateway {
namespace {

// Escapes a label value (exposition format: backslash, double quote, newline).
std::string LabelValue(absl::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

void Metrics::RecordRequest(absl::string_view endpoint, absl::string_view grant_type,
                            absl::string_view outcome, absl::Duration latency) {
  const double seconds = absl::ToDoubleSeconds(latency);
  absl::MutexLock lock(&mu_);
  ++requests_[{std::string(endpoint), std::string(grant_type), std::string(outcome)}];
  Histogram& h = latency_[std::string(endpoint)];
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      ++h.counts[i];
      break;
    }
  }
  ++h.count;
  h.sum += seconds;
}

std::string Metrics::RenderPrometheus() const {
  std::string out;
  absl::StrAppend(&out,
                  "# HELP oauth_gateway_open_connections HTTP connections currently open.\n"
                  "# TYPE oauth_gateway_open_connections gauge\n"
                  "oauth_gateway_open_connections ",
                  open_connections_.load(std::memory_order_relaxed), "\n",
                  "# HELP oauth_gateway_rejected_connections_total Connections refused "
                  "because a connection cap was reached.\n"
                  "# TYPE oauth_gateway_rejected_connections_total counter\n"
                  "oauth_gateway_rejected_connections_total ",
                  rejected_connections_.load(std::memory_order_relaxed), "\n",
                  "# HELP oauth_gateway_rejected_connections_per_address_total Connections "
                  "refused because their source address reached its connection cap.\n"
                  "# TYPE oauth_gateway_rejected_connections_per_address_total counter\n"
                  "oauth_gateway_rejected_connections_per_address_total ",
                  rejected_per_address_.load(std::memory_order_relaxed), "\n",
                  "# HELP oauth_gateway_evicted_idle_connections_total Idle keep-alive "
                  "connections closed to make room for a new connection at a cap.\n"
                  "# TYPE oauth_gateway_evicted_idle_connections_total counter\n"
                  "oauth_gateway_evicted_idle_connections_total ",
                  evicted_idle_.load(std::memory_order_relaxed), "\n");
  absl::MutexLock lock(&mu_);
  absl::StrAppend(&out,
                  "# HELP oauth_gateway_requests_total HTTP requests by endpoint, grant type "
                  "and outcome (success or the OAuth error code).\n"
                  "# TYPE oauth_gateway_requests_total counter\n");
  for (const auto& [key, count] : requests_) {
    const auto& [endpoint, grant_type, outcome] = key;
    absl::StrAppend(&out, "oauth_gateway_requests_total{endpoint=\"", LabelValue(endpoint),
                    "\",grant_type=\"", LabelValue(grant_type), "\",outcome=\"",
                    LabelValue(outcome), "\"} ", count, "\n");
  }
  absl::StrAppend(&out,
                  "# HELP oauth_gateway_request_duration_seconds Time from a complete "
                  "request to its response, by endpoint.\n"
                  "# TYPE oauth_gateway_request_duration_seconds histogram\n");
  for (const auto& [endpoint, h] : latency_) {
    const std::string label = LabelValue(endpoint);
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += h.counts[i];
      absl::StrAppend(&out, "oauth_gateway_request_duration_seconds_bucket{endpoint=\"", label,
                      "\",le=\"", kBuckets[i], "\"} ", cumulative, "\n");
    }
    absl::StrAppend(&out, "oauth_gateway_request_duration_seconds_bucket{endpoint=\"", label,
                    "\",le=\"+Inf\"} ", h.count, "\n",
                    "oauth_gateway_request_duration_seconds_sum{endpoint=\"", label, "\"} ", h.sum,
                    "\n", "oauth_gateway_request_duration_seconds_count{endpoint=\"", label, "\"} ",
                    h.count, "\n");
  }
  return out;
}

}  // namespace oauthd::gateway
