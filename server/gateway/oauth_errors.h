#ifndef OAUTHD_SERVER_GATEWAY_OAUTH_ERRORS_H_
#define OAUTHD_SERVER_GATEWAY_OAUTH_ERRORS_H_

#include <grpcpp/support/status.h>

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "oauth/v1/error.pb.h"

namespace oauthd::gateway {

// Builds an OAuthError value.
oauth::v1::OAuthError MakeOAuthError(absl::string_view error, absl::string_view description);

// The typed error oauthd sent with a failed RPC: the gRPC status details are a
// serialized google.rpc.Status whose details[0] packs an oauth.v1.OAuthError.
// nullopt when the status is OK or carries no such error (for instance when
// the channel itself failed). The status message is never parsed.
std::optional<oauth::v1::OAuthError> OAuthErrorFromGrpcStatus(const grpc::Status& status);

// The OAuth error to answer a failed RPC with: the typed error when oauthd
// sent one; otherwise temporarily_unavailable for UNAVAILABLE,
// DEADLINE_EXCEEDED and CANCELLED (oauthd down, slow or restarting) and for
// RESOURCE_EXHAUSTED (oauthd shedding load: its work queue is full), and
// server_error for anything else. Must not be called with an OK status.
// temporarily_unavailable is answered 503 with Retry-After (see
// MapOAuthErrorToHttp).
oauth::v1::OAuthError ErrorForFailedRpc(const grpc::Status& status);

// The OAuth error for a request the gateway rejected before calling oauthd
// (see FormParameters and ExtractClientAuthentication): Unauthenticated ->
// invalid_client, anything else -> invalid_request; the status message is the
// gateway's own client-facing description.
oauth::v1::OAuthError ErrorForRejectedRequest(const absl::Status& status);

// Who reads the error response.
enum class ErrorAudience {
  kOAuthClient,  // JSON error response of /token, /introspect, /revoke
  kBrowser,      // HTML error page of /authorize
};

// How an OAuth error travels over HTTP.
struct HttpErrorMapping {
  int status = 400;
  // Send `WWW-Authenticate: Basic realm="oauthd"`.
  bool www_authenticate_basic = false;
};

// The one place that maps OAuth error codes to HTTP (RFC 6749 §5.2, RFC 7009
// §2.2.1, RFC 7662 §2.3): temporarily_unavailable -> 503, server_error -> 500,
// invalid_client -> 401 for OAuth clients (with WWW-Authenticate when the
// client sent an Authorization header) and 400 on a browser page (there is no
// HTTP authentication to retry there), every other code -> 400.
HttpErrorMapping MapOAuthErrorToHttp(absl::string_view error, ErrorAudience audience,
                                     bool client_used_authorization_header);

// Makes `description` fit RFC 6749 §5.2 / §4.1.2.1, which allow only the
// printable ASCII characters %x20-21 / %x23-5B / %x5D-7E in
// error_description: '"' becomes '\'', '\\' becomes '/', a control character
// a space, and each non-ASCII UTF-8 sequence a '?'.
std::string SanitizeErrorDescription(absl::string_view description);

// The RFC 6749 §5.2 JSON body: {"error":...,"error_description":...,
// "error_uri":...}, empty members omitted, the description sanitized.
std::string OAuthErrorJson(const oauth::v1::OAuthError& error);

}  // namespace oauthd::gateway

#endif  // OAUTHD_SERVER_GATEWAY_OAUTH_ERRORS_H_
