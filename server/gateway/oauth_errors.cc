#include "server/gateway/oauth_errors.h"

#include "google/rpc/status.pb.h"
#include "server/gateway/json_writer.h"

namespace oauthd::gateway {

oauth::v1::OAuthError MakeOAuthError(absl::string_view error, absl::string_view description) {
  oauth::v1::OAuthError e;
  e.set_error(std::string(error));
  e.set_error_description(std::string(description));
  return e;
}

std::optional<oauth::v1::OAuthError> OAuthErrorFromGrpcStatus(const grpc::Status& status) {
  if (status.ok() || status.error_details().empty()) return std::nullopt;
  google::rpc::Status rich;
  if (!rich.ParseFromString(status.error_details()) || rich.details_size() == 0) {
    return std::nullopt;
  }
  oauth::v1::OAuthError error;
  if (!rich.details(0).UnpackTo(&error) || error.error().empty()) return std::nullopt;
  return error;
}

oauth::v1::OAuthError ErrorForFailedRpc(const grpc::Status& status) {
  if (std::optional<oauth::v1::OAuthError> typed = OAuthErrorFromGrpcStatus(status)) {
    return *std::move(typed);
  }
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::CANCELLED:
      return MakeOAuthError("temporarily_unavailable",
                            "the authorization server is unavailable; retry later");
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return MakeOAuthError("temporarily_unavailable",
                            "the authorization server is overloaded; retry later");
    default:
      return MakeOAuthError("server_error", "the authorization server failed");
  }
}

oauth::v1::OAuthError ErrorForRejectedRequest(const absl::Status& status) {
  return MakeOAuthError(
      status.code() == absl::StatusCode::kUnauthenticated ? "invalid_client" : "invalid_request",
      status.message());
}

HttpErrorMapping MapOAuthErrorToHttp(absl::string_view error, ErrorAudience audience,
                                     bool client_used_authorization_header) {
  if (error == "temporarily_unavailable") return {503, false};
  if (error == "server_error") return {500, false};
  if (error == "invalid_client" && audience == ErrorAudience::kOAuthClient) {
    return {401, client_used_authorization_header};
  }
  return {400, false};
}

std::string SanitizeErrorDescription(absl::string_view description) {
  std::string out;
  out.reserve(description.size());
  for (unsigned char c : description) {
    if (c == '"') {
      out.push_back('\'');
    } else if (c == '\\') {
      out.push_back('/');
    } else if (c < 0x20 || c == 0x7f) {
      out.push_back(' ');
    } else if (c >= 0x80) {
      if ((c & 0xc0) != 0x80) out.push_back('?');  // one '?' per sequence
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

std::string OAuthErrorJson(const oauth::v1::OAuthError& error) {
  JsonObjectWriter json;
  json.String("error", error.error());
  json.StringIfNotEmpty("error_description", SanitizeErrorDescription(error.error_description()));
  json.StringIfNotEmpty("error_uri", error.error_uri());
  return json.Finish();
}

}  // namespace oauthd::gateway
