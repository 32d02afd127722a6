#ifndef OAUTHD_SERVER_CORE_OAUTH_SERVICE_H_
#define OAUTHD_SERVER_CORE_OAUTH_SERVICE_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "oauth/v1/token.pb.h"
#include "server/core/audit_log.h"
#include "server/core/authorization_endpoint.h"
#include "server/core/client_assertion.h"
#include "server/core/client_registry.h"
#include "server/core/clock.h"
#include "server/core/config.h"
#include "server/core/cors_policy.h"
#include "server/core/device_authorization.h"
#include "server/core/grant_handler.h"
#include "server/core/owner_revocation_checker.h"
#include "server/core/refresh_token_grant.h"
#include "server/core/resource_owner_authenticator.h"
#include "server/core/token_inspector.h"
#include "server/core/token_issuer.h"
#include "server/core/token_response_factory.h"
#include "storage/store.h"

namespace oauthd {

// The OAuth domain behind oauth.v1.TokenService, free of transport concerns:
// each method takes the request message and returns the response or a typed
// OAuth error (see oauth_error.h). Methods may block on storage; call them
// off gRPC's callback threads. Thread-safe.
class OAuthService {
 public:
  // `store`, `issuer` and `config` must outlive the service. `revocations`
  // answers introspection's revocation questions and the owners' not-before
  // check of a refresh or code redemption: the store's when null, or an
  // in-memory view (storage/redis/revocation_view.h; it may lag another
  // replica's revocation by its propagation delay, well under a second); it
  // must outlive the service too. `audit` (none when null) hears the security events
  // (audit_log.h) and must outlive the service.
  OAuthService(const ServerConfig& config, storage::Store& store,
               const TokenIssuer& issuer, Clock clock,
               storage::RevocationChecker* revocations = nullptr,
               AuditLog* audit = nullptr);

  // `context` says where the request came from (login limits, audit).
  absl::StatusOr<oauth::v1::TokenResponse> IssueToken(
      const oauth::v1::IssueTokenRequest& request, const RequestContext& context = {});
  absl::StatusOr<oauth::v1::TokenResponse> RefreshToken(
      const oauth::v1::RefreshTokenRequest& request, const RequestContext& context = {});
  absl::StatusOr<oauth::v1::IntrospectResponse> Introspect(
      const oauth::v1::IntrospectRequest& request);
  absl::StatusOr<oauth::v1::RevokeResponse> Revoke(
      const oauth::v1::RevokeRequest& request, const RequestContext& context = {});
  absl::StatusOr<oauth::v1::AuthorizeResponse> Authorize(
      const oauth::v1::AuthorizeRequest& request, const RequestContext& context = {});
  // RFC 8628: oauth.v1.DeviceService (device_authorization.h).
  absl::StatusOr<oauth::v1::DeviceAuthorizeResponse> DeviceAuthorize(
      const oauth::v1::DeviceAuthorizeRequest& request);
  absl::StatusOr<oauth::v1::VerifyDeviceResponse> VerifyDevice(
      const oauth::v1::VerifyDeviceRequest& request, const RequestContext& context = {});
  oauth::v1::GetJwksResponse GetJwks() const;
  // Who may WatchRevocations: an authenticated confidential client with
  // introspect_any_token (unauthorized_client otherwise).
  absl::Status AuthorizeRevocationWatch(const oauth::v1::ClientAuthentication& client);
  oauth::v1::ServerMetadata GetServerMetadata() const;
  // CORS for the gateway's /token and /revoke (CorsPolicy).
  absl::StatusOr<oauth::v1::CheckCorsOriginResponse> CheckCorsOrigin(
      const oauth::v1::CheckCorsOriginRequest& request);

  // The client cache, shared with the admin service for invalidation.
  ClientRegistry& clients() { return clients_; }
  // Login limits, shared with the admin service (user get, unlock).
  LoginThrottle& login_throttle() { return owners_.throttle(); }

 private:
  const ServerConfig& config_;
  const TokenIssuer& issuer_;
  NullAuditLog no_audit_;
  AuditLog& audit_;
  ClientAssertionVerifier assertions_;
  ClientRegistry clients_;
  CorsPolicy cors_;
  ResourceOwnerAuthenticator owners_;
  TokenResponseFactory tokens_;
  // The owners' not-before instants for refresh and code redemption.
  OwnerRevocationChecker owner_revocations_;
  std::vector<std::unique_ptr<GrantHandler>> grants_;
  RefreshTokenGrant refresh_;
  TokenInspector inspector_;
  AuthorizationEndpoint authorization_;
  DeviceAuthorizationEndpoint devices_;
};

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_OAUTH_SERVICE_H_
