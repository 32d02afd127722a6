#include "server/grpc/status_conversion.h"

#include <atomic>
#include <cstdio>

#include "absl/time/clock.h"

#include "google/rpc/status.pb.h"
#include "oauth/v1/error.pb.h"
#include "server/core/oauth_error.h"

namespace oauthd::grpc_api {

void LogIfUnexpected(const absl::Status& status) {
  if (status.ok() || IsOAuthError(status) || absl::IsNotFound(status) ||
      absl::IsAlreadyExists(status)) {
    return;
  }
  // At most 10 lines per second, so an outage cannot flood the log.
  static std::atomic<int64_t> window{0};
  static std::atomic<int> count{0};
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  if (window.exchange(now) != now) count = 0;
  if (++count > 10) return;
  std::fprintf(stderr, "oauthd: request failed: %s\n", status.ToString().c_str());
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const oauth::v1::OAuthError error = ToOAuthError(status);
  // Statuses without a payload are mapped by ToOAuthError; keep their code
  // consistent with the OAuth error they turned into.
  absl::StatusCode code = status.code();
  if (!IsOAuthError(status) && code != absl::StatusCode::kNotFound &&
      code != absl::StatusCode::kAlreadyExists) {
    code = error.error() == "temporarily_unavailable" ? absl::StatusCode::kUnavailable
                                                      : absl::StatusCode::kInternal;
  }
  google::rpc::Status rich;
  rich.set_code(static_cast<int>(code));
  rich.set_message(error.error_description());
  rich.add_details()->PackFrom(error);
  return grpc::Status(static_cast<grpc::StatusCode>(code), error.error_description(),
                      rich.SerializeAsString());
}

}  // namespace oauthd::grpc_api
