#include "server/grpc/rpc_observer.h"

#include <google/protobuf/descriptor.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "google/rpc/status.pb.h"
#include "oauth/v1/error.pb.h"
#include "oauth/v1/token.pb.h"
#include "server/grpc/request_context.h"

namespace oauthd::grpc_api {
namespace {

using grpc::experimental::InterceptionHookPoints;

// "package.Service/Method" when oauthd serves such a method, else
// "unknown": the label never takes a caller's made-up name.
std::string MethodLabel(absl::string_view path) {
  absl::ConsumePrefix(&path, "/");
  // gRPC's own health service has no generated descriptor in our pool.
  if (path == "grpc.health.v1.Health/Check" || path == "grpc.health.v1.Health/Watch") {
    return std::string(path);
  }
  const std::string full_name = absl::StrReplaceAll(path, {{"/", "."}});
  if (path.find('/') == absl::string_view::npos ||
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(full_name) ==
          nullptr) {
    return "unknown";
  }
  return std::string(path);
}

// The grant type an IssueToken request asks for; "other" for a grant type
// oauthd does not support (its name comes from the caller).
absl::string_view GrantOf(const oauth::v1::IssueTokenRequest& r) {
  switch (r.grant_case()) {
    case oauth::v1::IssueTokenRequest::kClientCredentials:
      return "client_credentials";
    case oauth::v1::IssueTokenRequest::kPassword:
      return "password";
    case oauth::v1::IssueTokenRequest::kAuthorizationCode:
      return "authorization_code";
    case oauth::v1::IssueTokenRequest::GRANT_NOT_SET:
      return "";
    default:
      return "other";
  }
}

class RpcObserver final : public grpc::experimental::Interceptor {
 public:
  RpcObserver(grpc::experimental::ServerRpcInfo* info, const RpcObserverFactory& factory)
      : info_(info), factory_(factory), start_(absl::Now()), method_(MethodLabel(info->method())) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) &&
        !read_request_) {
      read_request_ = true;
      ReadRequest(methods->GetRecvMessage());
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      Finish(methods->GetSendStatus());
    }
    methods->Proceed();
  }

 private:
  // Takes the grant type and the client id, nothing else. The message type
  // follows from the method, which MethodLabel checked against what we serve.
  void ReadRequest(const void* message) {
    if (message == nullptr) return;
    if (method_ == "oauth.v1.TokenService/IssueToken") {
      const auto& r = *static_cast<const oauth::v1::IssueTokenRequest*>(message);
      grant_type_ = GrantOf(r);
      client_id_ = r.client().client_id();
    } else if (method_ == "oauth.v1.TokenService/RefreshToken") {
      grant_type_ = "refresh_token";
      client_id_ = static_cast<const oauth::v1::RefreshTokenRequest*>(message)->client().client_id();
    } else if (method_ == "oauth.v1.TokenService/Introspect") {
      client_id_ = static_cast<const oauth::v1::IntrospectRequest*>(message)->client().client_id();
    } else if (method_ == "oauth.v1.TokenService/Revoke") {
      client_id_ = static_cast<const oauth::v1::RevokeRequest*>(message)->client().client_id();
    } else if (method_ == "oauth.v1.TokenService/Authorize") {
      client_id_ = static_cast<const oauth::v1::AuthorizeRequest*>(message)->client_id();
    } else if (method_ == "oauth.v1.TokenService/WatchRevocations") {
      client_id_ =
          static_cast<const oauth::v1::WatchRevocationsRequest*>(message)->client().client_id();
    }
  }

  void Finish(const grpc::Status& status) {
    const absl::Duration latency = absl::Now() - start_;
    const absl::string_view code = StatusCodeName(status.error_code());
    const std::string error = status.ok() ? "" : OAuthErrorCodeOf(status);
    if (factory_.metrics() != nullptr) {
      factory_.metrics()->Record(method_, grant_type_, code, error, latency);
    }
    if (factory_.access_log() != nullptr) {
      AccessLogEntry entry;
      entry.time = absl::Now();
      entry.method = method_;
      entry.grant_type = grant_type_;
      entry.client_id = client_id_;
      entry.code = code;
      entry.error = error;
      entry.latency = latency;
      std::string peer, source;
      if (grpc::ServerContextBase* ctx = info_->server_context(); ctx != nullptr) {
        peer = ctx->peer();
        source = ContextOf(*ctx).source_address;
      }
      entry.peer = peer;
      entry.source_address = source;
      factory_.access_log()->Write(entry);
    }
  }

  grpc::experimental::ServerRpcInfo* const info_;
  const RpcObserverFactory& factory_;
  const absl::Time start_;
  const std::string method_;
  bool read_request_ = false;
  absl::string_view grant_type_;  // static strings only
  std::string client_id_;
};

}  // namespace

RpcMetrics::RpcMetrics(metrics::Registry& registry)
    : rpcs_(registry.AddCounter(
          "oauthd_rpcs_total",
          "Finished RPCs by method, grant type (IssueToken, RefreshToken), gRPC status "
          "code and OAuth error code.",
          {"method", "grant_type", "code", "error"})),
      duration_(registry.AddHistogram(
          "oauthd_rpc_duration_seconds",
          "Time from an RPC's start to its status, by method and grant type.",
          {"method", "grant_type"})) {}

void RpcMetrics::Record(absl::string_view method, absl::string_view grant_type,
                        absl::string_view code, absl::string_view error,
                        absl::Duration latency) {
  rpcs_.Increment({method, grant_type, code, error});
  duration_.Observe({method, grant_type}, latency);
}

grpc::experimental::Interceptor* RpcObserverFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new RpcObserver(info, *this);
}

absl::string_view StatusCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::UNKNOWN: return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED: return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE: return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL: return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS: return "DATA_LOSS";
    default: return "UNKNOWN";
  }
}

std::string OAuthErrorCodeOf(const grpc::Status& status) {
  if (status.error_details().empty()) return "";
  google::rpc::Status rich;
  if (!rich.ParseFromString(status.error_details())) return "";
  for (const auto& detail : rich.details()) {
    oauth::v1::OAuthError error;
    if (!detail.UnpackTo(&error)) continue;
    // Codes are ours (RFC names); keep the label set closed all the same.
    const std::string& code = error.error();
    if (code.empty() || code.size() > 64) return "";
    for (char c : code) {
      if (!absl::ascii_islower(static_cast<unsigned char>(c)) && c != '_') return "";
    }
    return code;
  }
  return "";
}

}  // namespace oauthd::grpc_api
