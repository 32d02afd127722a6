#include "server/grpc/status_conversion.h"

#include "google/rpc/status.pb.h"
#include "oauth/v1/error.pb.h"
#include "server/core/oauth_error.h"

namespace oauthd::grpc_api {

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
