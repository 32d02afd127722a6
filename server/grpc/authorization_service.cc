#include "server/grpc/authorization_service.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/grpc/offload.h"

namespace oauthd::grpc_api {
namespace {

namespace auth = envoy::service::auth::v3;
using envoy::config::core::v3::HeaderValueOption;

// A header of the request, case-insensitively, from `headers` or `header_map`.
std::string Header(const auth::AttributeContext::HttpRequest& http, absl::string_view name) {
  for (const auto& [key, value] : http.headers()) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  for (const auto& h : http.header_map().headers()) {
    if (absl::EqualsIgnoreCase(h.key(), name)) {
      return h.raw_value().empty() ? h.value() : h.raw_value();
    }
  }
  return "";
}

void SetHeader(google::protobuf::RepeatedPtrField<HeaderValueOption>* out,
               const std::string& key, const std::string& value) {
  HeaderValueOption* option = out->Add();
  option->mutable_header()->set_key(key);
  option->mutable_header()->set_value(value);
  option->set_append_action(HeaderValueOption::OVERWRITE_IF_EXISTS_OR_ADD);
}

int GrpcCodeFor(int http_status) {
  switch (http_status) {
    case 400: return grpc::StatusCode::INVALID_ARGUMENT;
    case 401: return grpc::StatusCode::UNAUTHENTICATED;
    case 503: return grpc::StatusCode::UNAVAILABLE;
    default: return grpc::StatusCode::PERMISSION_DENIED;
  }
}

}  // namespace

std::optional<authz::AccessRequest> ToAccessRequest(const auth::CheckRequest& request) {
  if (!request.has_attributes() || !request.attributes().has_request() ||
      !request.attributes().request().has_http()) {
    return std::nullopt;
  }
  const auth::AttributeContext::HttpRequest& http = request.attributes().request().http();
  authz::AccessRequest out;
  out.method = http.method().empty() ? Header(http, ":method") : http.method();
  out.host = http.host().empty() ? Header(http, ":authority") : http.host();
  out.path = http.path().empty() ? Header(http, ":path") : http.path();
  out.authorization = Header(http, "authorization");
  return out;
}

auth::CheckResponse ToCheckResponse(const authz::AccessDecision& decision,
                                    const authz::Policy* policy) {
  auth::CheckResponse response;
  if (decision.allowed) {
    response.mutable_status()->set_code(grpc::StatusCode::OK);
    auth::OkHttpResponse* ok = response.mutable_ok_response();
    if (policy != nullptr) {
      const authz::IdentityHeaders& names = policy->headers;
      // A client must never choose its own identity headers: they are
      // overwritten when there is a value and removed when there is none.
      for (const auto& [name, value] :
           {std::pair{&names.subject, &decision.subject},
            std::pair{&names.client_id, &decision.client_id},
            std::pair{&names.scope, &decision.scope},
            std::pair{&names.grant_id, &decision.grant_id}}) {
        if (value->empty()) {
          ok->add_headers_to_remove(*name);
        } else {
          SetHeader(ok->mutable_headers(), *name, *value);
        }
      }
      if (policy->remove_authorization) ok->add_headers_to_remove("authorization");
    }
    return response;
  }
  response.mutable_status()->set_code(GrpcCodeFor(decision.http_status));
  response.mutable_status()->set_message(decision.reason);
  auth::DeniedHttpResponse* denied = response.mutable_denied_response();
  denied->mutable_status()->set_code(
      static_cast<envoy::type::v3::StatusCode>(decision.http_status));
  if (!decision.www_authenticate.empty()) {
    SetHeader(denied->mutable_headers(), "www-authenticate", decision.www_authenticate);
  }
  SetHeader(denied->mutable_headers(), "content-type", "text/plain; charset=utf-8");
  SetHeader(denied->mutable_headers(), "cache-control", "no-store");
  denied->set_body(absl::StrCat(decision.reason, "\n"));
  return response;
}

grpc::ServerUnaryReactor* AuthorizationService::Check(grpc::CallbackServerContext* ctx,
                                                      const auth::CheckRequest* request,
                                                      auth::CheckResponse* response) {
  auto decide = [this, request]() -> absl::StatusOr<auth::CheckResponse> {
    std::optional<authz::AccessRequest> access = ToAccessRequest(*request);
    authz::AccessDecision decision;
    if (!access) {
      decision.http_status = 403;
      decision.reason = "the CheckRequest has no HTTP request attributes";
    } else {
      decision = decider_.Decide(*access);
    }
    return ToCheckResponse(decision, decider_.policy());
  };
  if (executor_ != nullptr) return Offload(ctx, *executor_, response, std::move(decide));
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  *response = *decide();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace oauthd::grpc_api
