#ifndef OAUTHD_SERVER_GRPC_AUTHORIZATION_SERVICE_H_
#define OAUTHD_SERVER_GRPC_AUTHORIZATION_SERVICE_H_

// envoy.service.auth.v3.Authorization: the external authorization service of
// Envoy's ext_authz HTTP filter and Istio's CUSTOM action. Translates a
// CheckRequest into an authz::AccessRequest, asks the Decider, and answers
// (docs/api-gateways.md):
//   allow -> status OK, ok_response with the identity headers (overwriting any
//            the client sent; removed when empty) and, if the policy says so,
//            the Authorization header removed;
//   deny  -> status UNAUTHENTICATED (401), PERMISSION_DENIED (403),
//            INVALID_ARGUMENT (400) or UNAVAILABLE (503), denied_response with
//            that HTTP status, WWW-Authenticate and a one-line text body.
// The RPC itself always succeeds; a CheckRequest without HTTP attributes is a
// 403 denial. Thread-safe.
//
// Where the work runs: on `executor` when the decision may wait (revocation
// state read from Redis), or, with a null executor, on gRPC's own callback
// thread — only for a decider that never blocks (the in-memory revocation
// view), which saves a thread hand-off per request.

#include "envoy/service/auth/v3/external_auth.grpc.pb.h"
#include "server/authz/decision.h"
#include "server/grpc/executor.h"

namespace oauthd::grpc_api {

class AuthorizationService final
    : public envoy::service::auth::v3::Authorization::CallbackService {
 public:
  AuthorizationService(const authz::Decider& decider, Executor* executor)
      : decider_(decider), executor_(executor) {}

  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* ctx,
                                  const envoy::service::auth::v3::CheckRequest* request,
                                  envoy::service::auth::v3::CheckResponse* response) override;

 private:
  const authz::Decider& decider_;
  Executor* const executor_;
};

// The pure translation, exposed for the gateway's /authz endpoint and tests.
// nullopt when the request has no HTTP attributes.
std::optional<authz::AccessRequest> ToAccessRequest(
    const envoy::service::auth::v3::CheckRequest& request);
envoy::service::auth::v3::CheckResponse ToCheckResponse(const authz::AccessDecision& decision,
                                                       const authz::Policy* policy);

}  // namespace oauthd::grpc_api

#endif  // OAUTHD_SERVER_GRPC_AUTHORIZATION_SERVICE_H_
