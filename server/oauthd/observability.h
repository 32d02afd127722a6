#ifndef OAUTHD_SERVER_OAUTHD_OBSERVABILITY_H_
#define OAUTHD_SERVER_OAUTHD_OBSERVABILITY_H_

// oauthd's metrics (--metrics_listen) and access log (--access_log): the
// registry, what is registered in it, the HTTP exporter and the RPC
// interceptor. docs/operations.md#metrics lists every metric.

#include <grpcpp/support/server_interceptor.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/core/login_throttle.h"
#include "server/core/signing_key_ring.h"
#include "server/grpc/access_log.h"
#include "server/grpc/executor.h"
#include "server/grpc/rpc_observer.h"
#include "server/metrics/http_exporter.h"
#include "server/metrics/registry.h"
#include "storage/redis/redis_metrics.h"
#include "storage/redis/revocation_view.h"

namespace oauthd {

// What the metrics read at scrape time; null members are left out. All must
// outlive the Observability.
struct MetricSources {
  const storage::RedisMetrics* redis = nullptr;
  int redis_pool_size = 0;
  const storage::RevocationView* revocation_view = nullptr;
  const LoginThrottle* login_throttle = nullptr;
  const grpc_api::Executor* workers = nullptr;
  const grpc_api::Executor* login_workers = nullptr;
  const SigningKeyRing* keys = nullptr;
};

class Observability {
 public:
  // `metrics_listen` "" = no metrics; `access_log` "" = none, "-" = stdout.
  // Errors name the flag's value (cannot open the log file).
  static absl::StatusOr<std::unique_ptr<Observability>> Create(std::string metrics_listen,
                                                               const std::string& access_log);

  // Registers the process's metrics. Call once, before Start.
  void Register(const MetricSources& sources);
  // Starts serving /metrics when --metrics_listen is set. UNAVAILABLE naming
  // the address when it cannot be bound.
  absl::Status Start();

  // Interceptors for a ServerBuilder (one set per server).
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
  Interceptors();

  // "" when metrics are off; else the address served, with the port bound.
  std::string metrics_address() const;

 private:
  Observability() = default;

  std::string metrics_listen_;
  metrics::Registry registry_;
  std::unique_ptr<grpc_api::RpcMetrics> rpc_metrics_;
  std::unique_ptr<grpc_api::AccessLog> access_log_;
  std::unique_ptr<metrics::HttpExporter> exporter_;
};

}  // namespace oauthd

#endif  // OAUTHD_SERVER_OAUTHD_OBSERVABILITY_H_
