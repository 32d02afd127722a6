#ifndef OAUTHD_SERVER_GRPC_TOKEN_SERVICE_H_
#define OAUTHD_SERVER_GRPC_TOKEN_SERVICE_H_

#include "oauth/v1/token.grpc.pb.h"
#include "server/core/oauth_service.h"
#include "server/grpc/executor.h"

namespace oauthd::grpc_api {

// oauth.v1.TokenService on gRPC's callback API. Each call is handed to the
// executor (domain calls may wait on Redis) and finished from there; errors
// go through ToGrpcStatus. Logs never contain tokens or secrets.
class TokenService final : public oauth::v1::TokenService::CallbackService {
 public:
  // `revocations`: what WatchRevocations streams (the revocation view); null
  // when this oauthd keeps none. Requests that check a password (the
  // password grant, a login at Authorize) run on `login_executor` (its own
  // small bounded pool, so a burst of scrypt work cannot delay other
  // requests), everything else on `executor`; null: `executor` for all.
  TokenService(OAuthService& service, Executor& executor,
               storage::RevocationFeed* revocations = nullptr,
               Executor* login_executor = nullptr)
      : service_(service), executor_(executor), revocations_(revocations),
        login_executor_(login_executor != nullptr ? *login_executor : executor) {}

  grpc::ServerUnaryReactor* IssueToken(grpc::CallbackServerContext* ctx,
                                       const oauth::v1::IssueTokenRequest* request,
                                       oauth::v1::TokenResponse* response) override;
  grpc::ServerUnaryReactor* RefreshToken(grpc::CallbackServerContext* ctx,
                                         const oauth::v1::RefreshTokenRequest* request,
                                         oauth::v1::TokenResponse* response) override;
  grpc::ServerUnaryReactor* CheckCorsOrigin(grpc::CallbackServerContext* ctx,
                                            const oauth::v1::CheckCorsOriginRequest* request,
                                            oauth::v1::CheckCorsOriginResponse* response) override;
  grpc::ServerUnaryReactor* Introspect(grpc::CallbackServerContext* ctx,
                                       const oauth::v1::IntrospectRequest* request,
                                       oauth::v1::IntrospectResponse* response) override;
  grpc::ServerUnaryReactor* Revoke(grpc::CallbackServerContext* ctx,
                                   const oauth::v1::RevokeRequest* request,
                                   oauth::v1::RevokeResponse* response) override;
  grpc::ServerUnaryReactor* Authorize(grpc::CallbackServerContext* ctx,
                                      const oauth::v1::AuthorizeRequest* request,
                                      oauth::v1::AuthorizeResponse* response) override;
  grpc::ServerUnaryReactor* GetJwks(grpc::CallbackServerContext* ctx,
                                    const oauth::v1::GetJwksRequest* request,
                                    oauth::v1::GetJwksResponse* response) override;
  grpc::ServerUnaryReactor* GetServerMetadata(
      grpc::CallbackServerContext* ctx, const oauth::v1::GetServerMetadataRequest* request,
      oauth::v1::ServerMetadata* response) override;
  grpc::ServerWriteReactor<oauth::v1::RevocationUpdate>* WatchRevocations(
      grpc::CallbackServerContext* ctx,
      const oauth::v1::WatchRevocationsRequest* request) override;

 private:
  OAuthService& service_;
  Executor& executor_;
  storage::RevocationFeed* const revocations_;
  Executor& login_executor_;
};

}  // namespace oauthd::grpc_api

#endif  // OAUTHD_SERVER_GRPC_TOKEN_SERVICE_H_
