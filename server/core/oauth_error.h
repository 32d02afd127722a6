#ifndef OAUTHD_SERVER_CORE_OAUTH_ERROR_H_
#define OAUTHD_SERVER_CORE_OAUTH_ERROR_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "oauth/v1/error.pb.h"

namespace oauthd {

// The RFC error codes oauthd returns (RFC 6749 §4.1.2.1 and §5.2, RFC 7009
// §2.2.1, RFC 6749 §4.1.2.1 for temporarily_unavailable / server_error).
enum class ErrorCode {
  kInvalidRequest,
  kInvalidClient,
  kInvalidGrant,
  kUnauthorizedClient,
  kUnsupportedGrantType,
  kInvalidScope,
  kUnsupportedResponseType,
  kAccessDenied,
  kUnsupportedTokenType,
  kInvalidTarget,  // RFC 8707 §2
  // RFC 8628 §3.5, device code polls only.
  kAuthorizationPending,
  kSlowDown,
  kExpiredToken,
  kTemporarilyUnavailable,
  kServerError,
};

// "invalid_request", "invalid_client", ... as written in the RFCs.
absl::string_view ErrorCodeName(ErrorCode code);

// The one place that decides which canonical status code an OAuth error
// travels with (and so which gRPC code clients see):
//   invalid_client -> UNAUTHENTICATED; unauthorized_client, access_denied ->
//   PERMISSION_DENIED; temporarily_unavailable -> UNAVAILABLE; server_error ->
//   INTERNAL; every other code -> INVALID_ARGUMENT.
absl::StatusCode CanonicalCodeFor(ErrorCode code);

// Builds an absl::Status that carries a typed OAuth error as a payload.
// `description` goes to the client and must hold no secret; characters outside
// RFC 6749 §5.2's error_description set become ' (for ") or ?. The status
// message is the description as well.
absl::Status OAuthError(ErrorCode code, absl::string_view description);

// `status` with its OAuth error marked redirectable to `redirect_uri` with
// `state` (RFC 6749 §4.1.2.1). A status without an OAuth payload (storage
// trouble) is returned unchanged: it is shown as a page, never redirected.
absl::Status WithRedirect(absl::Status status, absl::string_view redirect_uri,
                          absl::string_view state);

// Shorthands for the common codes.
absl::Status InvalidRequest(absl::string_view description);
absl::Status InvalidClient(absl::string_view description);
absl::Status InvalidGrant(absl::string_view description);
absl::Status InvalidScope(absl::string_view description);
absl::Status UnauthorizedClient(absl::string_view description);

// The OAuth error a status stands for. A status without the payload maps by
// its canonical code: NOT_FOUND and ALREADY_EXISTS (admin API outcomes) ->
// invalid_request with the status message; UNAVAILABLE and DEADLINE_EXCEEDED
// (storage could not be reached) -> temporarily_unavailable; anything else ->
// server_error with a generic description (internal messages are never shown
// to clients).
// Must not be called with an OK status.
oauth::v1::OAuthError ToOAuthError(const absl::Status& status);

// True when `status` carries a typed OAuth error payload.
bool IsOAuthError(const absl::Status& status);

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_OAUTH_ERROR_H_
