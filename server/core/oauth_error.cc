#include "server/core/oauth_error.h"

#include "absl/strings/cord.h"

namespace oauthd {
namespace {

constexpr absl::string_view kPayloadUrl =
    "type.googleapis.com/oauth.v1.OAuthError";

// RFC 6749 §5.2: error_description is %x20-21 / %x23-5B / %x5D-7E. Our own
// texts comply; whatever they echo back is forced into that set here.
std::string SafeDescription(absl::string_view text) {
  std::string out(text);
  for (char& c : out) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (c == '"') c = '\'';
    else if (u < 0x20 || u > 0x7e || c == '\\') c = '?';
  }
  return out;
}

absl::Status Build(ErrorCode code, absl::string_view raw_description) {
  const std::string description = SafeDescription(raw_description);
  oauth::v1::OAuthError error;
  error.set_error(std::string(ErrorCodeName(code)));
  error.set_error_description(description);
  absl::Status status(CanonicalCodeFor(code), description);
  status.SetPayload(kPayloadUrl, absl::Cord(error.SerializeAsString()));
  return status;
}

}  // namespace

absl::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidRequest: return "invalid_request";
    case ErrorCode::kInvalidClient: return "invalid_client";
    case ErrorCode::kInvalidGrant: return "invalid_grant";
    case ErrorCode::kUnauthorizedClient: return "unauthorized_client";
    case ErrorCode::kUnsupportedGrantType: return "unsupported_grant_type";
    case ErrorCode::kInvalidScope: return "invalid_scope";
    case ErrorCode::kUnsupportedResponseType: return "unsupported_response_type";
    case ErrorCode::kAccessDenied: return "access_denied";
    case ErrorCode::kUnsupportedTokenType: return "unsupported_token_type";
    case ErrorCode::kInvalidTarget: return "invalid_target";
    case ErrorCode::kAuthorizationPending: return "authorization_pending";
    case ErrorCode::kSlowDown: return "slow_down";
    case ErrorCode::kExpiredToken: return "expired_token";
    case ErrorCode::kTemporarilyUnavailable: return "temporarily_unavailable";
    case ErrorCode::kServerError: return "server_error";
  }
  return "server_error";
}

absl::StatusCode CanonicalCodeFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidClient:
      return absl::StatusCode::kUnauthenticated;
    case ErrorCode::kUnauthorizedClient:
    case ErrorCode::kAccessDenied:
      return absl::StatusCode::kPermissionDenied;
    case ErrorCode::kTemporarilyUnavailable:
      return absl::StatusCode::kUnavailable;
    case ErrorCode::kServerError:
      return absl::StatusCode::kInternal;
    default:
      return absl::StatusCode::kInvalidArgument;
  }
}

absl::Status OAuthError(ErrorCode code, absl::string_view description) {
  return Build(code, description);
}

absl::Status WithRedirect(absl::Status status, absl::string_view redirect_uri,
                          absl::string_view state) {
  auto payload = status.GetPayload(kPayloadUrl);
  oauth::v1::OAuthError error;
  if (!payload || !error.ParseFromString(std::string(*payload))) return status;
  error.set_redirect_uri(std::string(redirect_uri));
  error.set_state(std::string(state));
  status.SetPayload(kPayloadUrl, absl::Cord(error.SerializeAsString()));
  return status;
}

absl::Status InvalidRequest(absl::string_view d) {
  return OAuthError(ErrorCode::kInvalidRequest, d);
}
absl::Status InvalidClient(absl::string_view d) {
  return OAuthError(ErrorCode::kInvalidClient, d);
}
absl::Status InvalidGrant(absl::string_view d) {
  return OAuthError(ErrorCode::kInvalidGrant, d);
}
absl::Status InvalidScope(absl::string_view d) {
  return OAuthError(ErrorCode::kInvalidScope, d);
}
absl::Status UnauthorizedClient(absl::string_view d) {
  return OAuthError(ErrorCode::kUnauthorizedClient, d);
}

bool IsOAuthError(const absl::Status& status) {
  return status.GetPayload(kPayloadUrl).has_value();
}

oauth::v1::OAuthError ToOAuthError(const absl::Status& status) {
  oauth::v1::OAuthError error;
  if (auto payload = status.GetPayload(kPayloadUrl);
      payload && error.ParseFromString(std::string(*payload))) {
    return error;
  }
  error.Clear();
  if (status.code() == absl::StatusCode::kNotFound ||
      status.code() == absl::StatusCode::kAlreadyExists) {
    // Admin API outcomes; their messages are written by us and hold no secrets.
    error.set_error(std::string(ErrorCodeName(ErrorCode::kInvalidRequest)));
    error.set_error_description(SafeDescription(status.message()));
  } else if (status.code() == absl::StatusCode::kUnavailable ||
      status.code() == absl::StatusCode::kDeadlineExceeded) {
    error.set_error(std::string(ErrorCodeName(ErrorCode::kTemporarilyUnavailable)));
    error.set_error_description("the authorization server's storage is unavailable; retry later");
  } else {
    error.set_error(std::string(ErrorCodeName(ErrorCode::kServerError)));
    error.set_error_description("internal error");
  }
  return error;
}

}  // namespace oauthd
