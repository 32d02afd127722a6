#ifndef OAUTHD_SERVER_GRPC_OFFLOAD_H_
#define OAUTHD_SERVER_GRPC_OFFLOAD_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/grpc/executor.h"
#include "server/grpc/status_conversion.h"
#include "storage/call_deadline.h"

namespace oauthd::grpc_api {

// Runs `work` (returning absl::StatusOr<Response>) on the executor and
// finishes the unary call with its result. The call's deadline is the
// storage call deadline while `work` runs (storage/call_deadline.h): a store
// riding out a Redis failover waits no longer than the caller does. A call whose client has already
// gone away is finished as CANCELLED without doing the work. When the
// executor's queue is full the call is shed at once with RESOURCE_EXHAUSTED
// (the gateway answers 503 with Retry-After).
template <typename Response, typename Work>
grpc::ServerUnaryReactor* Offload(grpc::CallbackServerContext* ctx, Executor& executor,
                                  Response* response, Work work) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const bool queued = executor.TryRun([ctx, reactor, response, work = std::move(work)]() mutable {
    if (ctx->IsCancelled()) {
      reactor->Finish(grpc::Status::CANCELLED);
      return;
    }
    const std::chrono::system_clock::time_point deadline = ctx->deadline();
    storage::ScopedCallDeadline scoped(deadline == std::chrono::system_clock::time_point::max()
                                           ? absl::InfiniteFuture()
                                           : absl::FromChrono(deadline));
    absl::StatusOr<Response> result = work();
    if (result.ok()) {
      *response = *std::move(result);
      reactor->Finish(grpc::Status::OK);
    } else {
      LogIfUnexpected(result.status());
      reactor->Finish(ToGrpcStatus(result.status()));
    }
  });
  if (!queued) {
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                 "oauthd is overloaded; retry shortly"));
  }
  return reactor;
}

}  // namespace oauthd::grpc_api

#endif  // OAUTHD_SERVER_GRPC_OFFLOAD_H_
