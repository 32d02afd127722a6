#ifndef OAUTHD_SERVER_GRPC_STATUS_CONVERSION_H_
#define OAUTHD_SERVER_GRPC_STATUS_CONVERSION_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace oauthd::grpc_api {

// The one place that turns a domain status into what gRPC clients see: the
// same code number, the client-safe OAuth description as the message, and a
// google.rpc.Status holding an oauth.v1.OAuthError as the details (sent in
// the grpc-status-details-bin trailer). Internal error text never leaves the
// process: a status without an OAuth payload becomes temporarily_unavailable
// or server_error (see ToOAuthError).
grpc::Status ToGrpcStatus(const absl::Status& status);

// Logs statuses that are not OAuth outcomes (storage failures, bugs) on
// stderr; their text stays server-side. At most 10 lines per second.
void LogIfUnexpected(const absl::Status& status);

}  // namespace oauthd::grpc_api

#endif  // OAUTHD_SERVER_GRPC_STATUS_CONVERSION_H_
