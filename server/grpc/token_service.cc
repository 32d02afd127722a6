#include "server/grpc/token_service.h"

#include "server/grpc/offload.h"
#include "server/grpc/request_context.h"
#include "server/grpc/revocation_watch.h"
#include "server/grpc/status_conversion.h"

namespace oauthd::grpc_api {

using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;

ServerUnaryReactor* TokenService::IssueToken(CallbackServerContext* ctx,
                                             const oauth::v1::IssueTokenRequest* request,
                                             oauth::v1::TokenResponse* response) {
  return Offload(ctx, request->has_password() ? login_executor_ : executor_, response,
                 [this, request, context = ContextOf(*ctx)] {
                   return service_.IssueToken(*request, context);
                 });
}

ServerUnaryReactor* TokenService::RefreshToken(
    CallbackServerContext* ctx, const oauth::v1::RefreshTokenRequest* request,
    oauth::v1::TokenResponse* response) {
  return Offload(ctx, executor_, response,
                 [this, request, context = ContextOf(*ctx)] {
                   return service_.RefreshToken(*request, context);
                 });
}

ServerUnaryReactor* TokenService::Introspect(CallbackServerContext* ctx,
                                             const oauth::v1::IntrospectRequest* request,
                                             oauth::v1::IntrospectResponse* response) {
  return Offload(ctx, executor_, response,
                 [this, request] { return service_.Introspect(*request); });
}

ServerUnaryReactor* TokenService::CheckCorsOrigin(CallbackServerContext* ctx,
                                                  const oauth::v1::CheckCorsOriginRequest* request,
                                                  oauth::v1::CheckCorsOriginResponse* response) {
  // May list clients (the origin index): off the gRPC thread.
  return Offload(ctx, executor_, response,
                 [this, request] { return service_.CheckCorsOrigin(*request); });
}

ServerUnaryReactor* TokenService::Revoke(CallbackServerContext* ctx,
                                         const oauth::v1::RevokeRequest* request,
                                         oauth::v1::RevokeResponse* response) {
  return Offload(ctx, executor_, response,
                 [this, request, context = ContextOf(*ctx)] {
                   return service_.Revoke(*request, context);
                 });
}

ServerUnaryReactor* TokenService::Authorize(CallbackServerContext* ctx,
                                            const oauth::v1::AuthorizeRequest* request,
                                            oauth::v1::AuthorizeResponse* response) {
  return Offload(ctx, request->has_login() ? login_executor_ : executor_, response,
                 [this, request, context = ContextOf(*ctx)] {
                   return service_.Authorize(*request, context);
                 });
}

ServerUnaryReactor* TokenService::GetJwks(CallbackServerContext* ctx,
                                          const oauth::v1::GetJwksRequest*,
                                          oauth::v1::GetJwksResponse* response) {
  // No I/O: answered on the gRPC thread.
  *response = service_.GetJwks();
  ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

ServerUnaryReactor* TokenService::GetServerMetadata(
    CallbackServerContext* ctx, const oauth::v1::GetServerMetadataRequest*,
    oauth::v1::ServerMetadata* response) {
  *response = service_.GetServerMetadata();
  ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerWriteReactor<oauth::v1::RevocationUpdate>* TokenService::WatchRevocations(
    grpc::CallbackServerContext* /*ctx*/, const oauth::v1::WatchRevocationsRequest* request) {
  if (revocations_ == nullptr) {
    // No view to stream: fail at once (no executor hop needed).
    struct Refused final : grpc::ServerWriteReactor<oauth::v1::RevocationUpdate> {
      Refused() {
        Finish(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                            "this oauthd keeps no revocation view (memory store or "
                            "--revocation_view=false)"));
      }
      void OnDone() override { delete this; }
    };
    return new Refused();
  }
  auto* watch = new RevocationWatch(*revocations_);
  executor_.Run([this, watch, request] {
    absl::Status authorized = service_.AuthorizeRevocationWatch(request->client());
    if (!authorized.ok()) LogIfUnexpected(authorized);
    watch->Start(authorized.ok() ? grpc::Status::OK : ToGrpcStatus(authorized));
  });
  return watch;
}

}  // namespace oauthd::grpc_api
