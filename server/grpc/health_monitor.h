#ifndef OAUTHD_SERVER_GRPC_HEALTH_MONITOR_H_
#define OAUTHD_SERVER_GRPC_HEALTH_MONITOR_H_

#include <grpcpp/health_check_service_interface.h>

#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "storage/store.h"

namespace oauthd::grpc_api {

// Keeps grpc.health.v1.Health in step with storage: SERVING while the store
// answers Ping, NOT_SERVING while it does not (and from Stop() on, so load
// balancers drain the replica during shutdown). Logs each transition once.
class HealthMonitor {
 public:
  HealthMonitor(storage::Store& store, grpc::HealthCheckServiceInterface* health,
                absl::Duration interval);
  ~HealthMonitor();

  // Marks NOT_SERVING for good and stops probing. Idempotent.
  void Stop();

 private:
  void Probe(bool log_always);
  void Run();

  storage::Store& store_;
  grpc::HealthCheckServiceInterface* health_;
  const absl::Duration interval_;
  absl::Notification stop_;
  bool serving_ = false;  // only touched by the probing thread and Stop
  std::thread thread_;
};

}  // namespace oauthd::grpc_api

#endif  // OAUTHD_SERVER_GRPC_HEALTH_MONITOR_H_
