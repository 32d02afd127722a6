#include "server/grpc/health_monitor.h"

#include <cstdio>

namespace oauthd::grpc_api {

HealthMonitor::HealthMonitor(storage::Store& store,
                             grpc::HealthCheckServiceInterface* health,
                             absl::Duration interval)
    : store_(store), health_(health), interval_(interval) {
  Probe(/*log_always=*/true);
  thread_ = std::thread([this] { Run(); });
}

HealthMonitor::~HealthMonitor() { Stop(); }

void HealthMonitor::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
  health_->SetServingStatus(false);
}

void HealthMonitor::Probe(bool log_always) {
  absl::Status ping = store_.Ping();
  const bool serving = ping.ok();
  if (serving != serving_ || log_always) {
    if (serving) {
      std::fprintf(stderr, "oauthd: storage reachable: SERVING\n");
    } else {
      std::fprintf(stderr, "oauthd: storage unreachable (%s): NOT_SERVING\n",
                   std::string(ping.message()).c_str());
    }
  }
  serving_ = serving;
  health_->SetServingStatus(serving);
}

void HealthMonitor::Run() {
  while (!stop_.WaitForNotificationWithTimeout(interval_)) Probe(false);
}

}  // namespace oauthd::grpc_api
