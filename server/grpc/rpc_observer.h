#ifndef OAUTHD_SERVER_GRPC_RPC_OBSERVER_H_
#define OAUTHD_SERVER_GRPC_RPC_OBSERVER_H_

// Sees every RPC of a gRPC server (a server interceptor, so no service has
// to remember it) and records, when it finishes:
// - metrics (docs/operations.md#metrics):
//     oauthd_rpcs_total{method,grant_type,code,error}
//     oauthd_rpc_duration_seconds{method,grant_type} (histogram)
//   `method` is "package.Service/Method" for a method oauthd serves and
//   "unknown" for anything else, `code` the gRPC status code name, `error`
//   the OAuth error code from the status details ("" on success), so every
//   label comes from a small fixed set whatever callers send;
// - a line in the access log (access_log.h), when there is one.
// From the request it reads only the grant type and the client id it names,
// never a secret.
//
// Thread-safe: one interceptor per call; the factory's state is the metric
// families (sharded, registry.h) and the access log (one write per line).

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_interceptor.h>

#include "server/grpc/access_log.h"
#include "server/metrics/registry.h"

namespace oauthd::grpc_api {

// The metric families of RPCs, registered once per process.
class RpcMetrics {
 public:
  explicit RpcMetrics(metrics::Registry& registry);
  void Record(absl::string_view method, absl::string_view grant_type, absl::string_view code,
              absl::string_view error, absl::Duration latency);

 private:
  metrics::CounterFamily& rpcs_;
  metrics::HistogramFamily& duration_;
};

// Install with ServerBuilder::experimental().SetInterceptorCreators. Either
// pointer may be null (nothing recorded there); both must outlive the
// server.
class RpcObserverFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  RpcObserverFactory(RpcMetrics* metrics, AccessLog* access_log)
      : metrics_(metrics), access_log_(access_log) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

  RpcMetrics* metrics() const { return metrics_; }
  AccessLog* access_log() const { return access_log_; }

 private:
  RpcMetrics* const metrics_;
  AccessLog* const access_log_;
};

// The name of a gRPC status code ("OK", "INVALID_ARGUMENT", ...).
absl::string_view StatusCodeName(grpc::StatusCode code);

// The OAuth error code carried in a status's details (status_conversion.h),
// or "" when there is none.
std::string OAuthErrorCodeOf(const grpc::Status& status);

}  // namespace oauthd::grpc_api

#endif  // OAUTHD_SERVER_GRPC_RPC_OBSERVER_H_
