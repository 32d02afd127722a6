#include "server/oauthd/observability.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace oauthd {

using metrics::MetricType;
using metrics::Sample;

absl::StatusOr<std::unique_ptr<Observability>> Observability::Create(
    std::string metrics_listen, const std::string& access_log) {
  std::unique_ptr<Observability> o(new Observability());
  o->metrics_listen_ = std::move(metrics_listen);
  if (!o->metrics_listen_.empty()) {
    o->rpc_metrics_ = std::make_unique<grpc_api::RpcMetrics>(o->registry_);
  }
  if (!access_log.empty()) {
    absl::StatusOr<std::unique_ptr<grpc_api::AccessLog>> log = grpc_api::AccessLog::Open(access_log);
    if (!log.ok()) return log.status();
    o->access_log_ = *std::move(log);
  }
  return o;
}

void Observability::Register(const MetricSources& s) {
  if (metrics_listen_.empty()) return;
  metrics::Registry& r = registry_;
  const absl::Time started = absl::Now();
  r.AddCallback("oauthd_uptime_seconds", "Seconds since this oauthd started.", MetricType::kGauge,
                [started] { return absl::ToDoubleSeconds(absl::Now() - started); });

  if (s.redis != nullptr) {
    const storage::RedisMetrics* m = s.redis;
    r.AddHistogramView("oauthd_redis_command_duration_seconds",
                       "Redis round trips (a command, or a pipelined write and its WAIT).",
                       &m->round_trips);
    r.AddCallback("oauthd_redis_errors_total",
                  "Redis failures by kind: io (connection lost or timed out), reply (an error "
                  "reply), connect (could not open a connection), pool_timeout (no free "
                  "pooled connection in time).",
                  MetricType::kCounter, {"kind"}, [m] {
                    return std::vector<Sample>{
                        {{"io"}, static_cast<double>(m->io_errors.load())},
                        {{"reply"}, static_cast<double>(m->error_replies.load())},
                        {{"connect"}, static_cast<double>(m->connect_errors.load())},
                        {{"pool_timeout"}, static_cast<double>(m->pool_wait_timeouts.load())}};
                  });
    r.AddCallback("oauthd_redis_pool_connections",
                  "Pooled Redis connections by state: open (idle + in use), in_use (leased "
                  "by a request now), max (--redis_pool_size).",
                  MetricType::kGauge, {"state"}, [m, size = s.redis_pool_size] {
                    return std::vector<Sample>{
                        {{"open"}, static_cast<double>(m->pool_open.load())},
                        {{"in_use"}, static_cast<double>(m->pool_in_use.load())},
                        {{"max"}, static_cast<double>(size)}};
                  });
  }
  if (s.revocation_view != nullptr) {
    const storage::RevocationView* v = s.revocation_view;
    r.AddCallback("oauthd_revocation_view_staleness_seconds",
                  "Seconds since the in-memory revocation view last heard from Redis (it is "
                  "pinged every 250 ms); Check and Introspect fail closed beyond "
                  "--authz_max_staleness.",
                  MetricType::kGauge,
                  [v] { return absl::ToDoubleSeconds(v->Stats().silence); });
    r.AddCallback("oauthd_revocation_view_fresh",
                  "1 when the revocation view is synchronised and fresh (Check answers), "
                  "else 0.",
                  MetricType::kGauge, [v] { return v->Stats().fresh ? 1.0 : 0.0; });
    r.AddCallback("oauthd_revocation_view_resyncs_total",
                  "Full reads of the revocation index (at start and after every reconnect).",
                  MetricType::kCounter,
                  [v] { return static_cast<double>(v->Stats().resyncs); });
    r.AddCallback("oauthd_revocation_view_messages_total",
                  "Revocations received over Redis Pub/Sub.", MetricType::kCounter,
                  [v] { return static_cast<double>(v->Stats().messages); });
    r.AddCallback("oauthd_revocation_view_entries",
                  "Revocations held in the view (jtis, grants, users, clients).",
                  MetricType::kGauge,
                  [v] { return static_cast<double>(v->Stats().entries); });
  }
  if (s.login_throttle != nullptr) {
    const LoginThrottle* t = s.login_throttle;
    r.AddCallback("oauthd_login_attempts_total",
                  "Password attempts by outcome of the throttle: checked (the password was "
                  "checked), or refused by a limit: user_address (--login_failure_limit), "
                  "user (--login_user_limit), address (--login_address_limit).",
                  MetricType::kCounter, {"outcome"}, [t] {
                    const LoginThrottle::Counts c = t->counts();
                    return std::vector<Sample>{
                        {{"checked"}, static_cast<double>(c.admitted)},
                        {{"user_address"}, static_cast<double>(c.refused_user_address)},
                        {{"user"}, static_cast<double>(c.refused_user)},
                        {{"address"}, static_cast<double>(c.refused_address)}};
                  });
  }
  if (s.workers != nullptr && s.login_workers != nullptr) {
    const grpc_api::Executor* w = s.workers;
    const grpc_api::Executor* l = s.login_workers;
    r.AddCallback("oauthd_queue_rejections_total",
                  "Requests refused with RESOURCE_EXHAUSTED because a queue was full: "
                  "workers (--max_queued_requests), logins (--max_queued_logins).",
                  MetricType::kCounter, {"queue"}, [w, l] {
                    return std::vector<Sample>{
                        {{"workers"}, static_cast<double>(w->rejected())},
                        {{"logins"}, static_cast<double>(l->rejected())}};
                  });
    r.AddCallback("oauthd_queued_requests", "Requests waiting for a thread, by queue.",
                  MetricType::kGauge, {"queue"}, [w, l] {
                    return std::vector<Sample>{
                        {{"workers"}, static_cast<double>(w->queued())},
                        {{"logins"}, static_cast<double>(l->queued())}};
                  });
  }
  if (s.keys != nullptr) {
    const SigningKeyRing* ring = s.keys;
    r.AddCallback("oauthd_signing_keys",
                  "Published signing keys by kid and state (signing, next, published, "
                  "retiring); the value is 1.",
                  MetricType::kGauge, {"kid", "state"}, [ring] {
                    std::vector<Sample> out;
                    for (const SigningKeyStatus& k : ring->Status()) {
                      out.push_back({{k.kid, SigningKeyStateName(k.state)}, 1});
                    }
                    return out;
                  });
  }
}

absl::Status Observability::Start() {
  if (metrics_listen_.empty()) return absl::OkStatus();
  absl::StatusOr<std::unique_ptr<metrics::HttpExporter>> exporter =
      metrics::HttpExporter::Start(metrics_listen_, [this] { return registry_.Render(); });
  if (!exporter.ok()) return exporter.status();
  exporter_ = *std::move(exporter);
  return absl::OkStatus();
}

std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
Observability::Interceptors() {
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> out;
  if (rpc_metrics_ != nullptr || access_log_ != nullptr) {
    out.push_back(
        std::make_unique<grpc_api::RpcObserverFactory>(rpc_metrics_.get(), access_log_.get()));
  }
  return out;
}

std::string Observability::metrics_address() const {
  if (exporter_ == nullptr) return "";
  const size_t colon = metrics_listen_.rfind(':');
  return absl::StrCat(metrics_listen_.substr(0, colon), ":", exporter_->port());
}

}  // namespace oauthd
