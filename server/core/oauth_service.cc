#include "server/core/oauth_service.h"

#include "absl/strings/str_cat.h"
#include "server/core/authorization_code_grant.h"
#include "server/core/client_credentials_grant.h"
#include "server/core/device_code_grant.h"
#include "server/core/oauth_error.h"
#include "server/core/password_grant.h"
#include "server/core/status_macros.h"

namespace oauthd {

OAuthService::OAuthService(const ServerConfig& config, storage::Store& store,
                           const TokenIssuer& issuer, Clock clock,
                           storage::RevocationChecker* revocations, AuditLog* audit)
    : config_(config),
      issuer_(issuer),
      audit_(audit != nullptr ? *audit : no_audit_),
      assertions_(config.issuer, store.replays(), clock),
      clients_(store.clients(), config.client_cache_ttl, clock, &assertions_,
               config.client_cache_stale_if_error),
      cors_(clients_, store.clients(), config.client_cache_ttl, clock),
      owners_(config, store.users(), store.counters(), audit_),
      tokens_(config, issuer, store.refresh_tokens(), clock, audit_),
      // With a revocation view, the owners' not-before instants come from
      // memory: a rotation is then one Redis round trip.
      owner_revocations_(revocations, store.revocations()),
      refresh_(tokens_, store.refresh_tokens(), owner_revocations_, clock),
      inspector_(issuer, store.refresh_tokens(), store.revocations(),
                 revocations ? *revocations : store.revocations(), clock),
      authorization_(config, clients_, owners_, store.codes(), clock),
      devices_(config, clients_, owners_, store.devices(), store.counters(), audit_, clock) {
  grants_.push_back(std::make_unique<ClientCredentialsGrant>(tokens_));
  grants_.push_back(std::make_unique<PasswordGrant>(tokens_, owners_, clock));
  grants_.push_back(std::make_unique<AuthorizationCodeGrant>(
      tokens_, store.codes(), store.refresh_tokens(), owner_revocations_, clock));
  grants_.push_back(
      std::make_unique<DeviceCodeGrant>(tokens_, store.devices(), store.revocations(), clock));
}

absl::StatusOr<oauth::v1::TokenResponse> OAuthService::IssueToken(
    const oauth::v1::IssueTokenRequest& request, const RequestContext& context) {
  ASSIGN_OR_RETURN(std::shared_ptr<const storage::ClientRecord> client,
                   clients_.Authenticate(request.client()));
  if (request.grant_case() == oauth::v1::IssueTokenRequest::GRANT_NOT_SET) {
    return InvalidRequest("grant_type is required");
  }
  if (request.grant_case() == oauth::v1::IssueTokenRequest::kPassword) {
    if (!config_.password_grant) {
      return OAuthError(ErrorCode::kUnsupportedGrantType,
                        "the password grant is turned off on this server");
    }
    // A record registered before public clients were refused the grant.
    if (IsPublicClient(client->client())) {
      return UnauthorizedClient("the password grant needs client authentication");
    }
  }
  for (const std::unique_ptr<GrantHandler>& handler : grants_) {
    if (handler->grant_case() != request.grant_case()) continue;
    if (!ClientAllowsGrant(client->client(), handler->grant_type())) {
      return UnauthorizedClient(absl::StrCat("client may not use the ",
                                             handler->grant_type(), " grant"));
    }
    return handler->Handle(request, *client, context);
  }
  return OAuthError(ErrorCode::kUnsupportedGrantType, "grant_type is not supported");
}

absl::StatusOr<oauth::v1::TokenResponse> OAuthService::RefreshToken(
    const oauth::v1::RefreshTokenRequest& request, const RequestContext& context) {
  ASSIGN_OR_RETURN(std::shared_ptr<const storage::ClientRecord> client,
                   clients_.Authenticate(request.client()));
  if (!ClientAllowsGrant(client->client(), "refresh_token")) {
    return UnauthorizedClient("client may not use the refresh_token grant");
  }
  return refresh_.Handle(request, *client, context);
}

absl::StatusOr<oauth::v1::IntrospectResponse> OAuthService::Introspect(
    const oauth::v1::IntrospectRequest& request) {
  ASSIGN_OR_RETURN(std::shared_ptr<const storage::ClientRecord> client,
                   clients_.Authenticate(request.client(), "/introspect"));
  if (IsPublicClient(client->client())) {
    // RFC 7662 §2.1: the endpoint must be protected; a bare client_id is not.
    return InvalidClient("introspection requires a confidential client");
  }
  return inspector_.Introspect(*client, request.token(), request.token_type_hint());
}

absl::StatusOr<oauth::v1::RevokeResponse> OAuthService::Revoke(
    const oauth::v1::RevokeRequest& request, const RequestContext& context) {
  ASSIGN_OR_RETURN(std::shared_ptr<const storage::ClientRecord> client,
                   clients_.Authenticate(request.client(), "/revoke"));
  RETURN_IF_ERROR(inspector_.Revoke(*client, request.token(), request.token_type_hint()));
  // RFC 7009 answers alike whether or not the token was live; so does this.
  audit_.Record({.event = "token.revoked",
                 .client_id = client->client().client_id(),
                 .source_address = context.source_address});
  return oauth::v1::RevokeResponse();
}

absl::StatusOr<oauth::v1::AuthorizeResponse> OAuthService::Authorize(
    const oauth::v1::AuthorizeRequest& request, const RequestContext& context) {
  return authorization_.Authorize(request, context);
}

absl::StatusOr<oauth::v1::DeviceAuthorizeResponse> OAuthService::DeviceAuthorize(
    const oauth::v1::DeviceAuthorizeRequest& request) {
  return devices_.Authorize(request);
}

absl::StatusOr<oauth::v1::VerifyDeviceResponse> OAuthService::VerifyDevice(
    const oauth::v1::VerifyDeviceRequest& request, const RequestContext& context) {
  return devices_.Verify(request, context);
}

absl::Status OAuthService::AuthorizeRevocationWatch(
    const oauth::v1::ClientAuthentication& client) {
  ASSIGN_OR_RETURN(std::shared_ptr<const storage::ClientRecord> record,
                   clients_.Authenticate(client));
  if (IsPublicClient(record->client())) {
    return InvalidClient("watching revocations requires a confidential client");
  }
  if (!record->client().introspect_any_token()) {
    return UnauthorizedClient(
        "watching revocations requires a client created with introspect_any_token");
  }
  return absl::OkStatus();
}

oauth::v1::GetJwksResponse OAuthService::GetJwks() const {
  oauth::v1::GetJwksResponse response;
  for (const jose::Jwk& k : issuer_.PublicKeys()) {
    oauth::v1::Jwk* out = response.add_keys();
    out->set_kty(k.kty);
    out->set_kid(k.kid);
    out->set_use(k.use);
    out->set_alg(k.alg);
    out->set_crv(k.crv);
    out->set_x(k.x);
    out->set_y(k.y);
    out->set_n(k.n);
    out->set_e(k.e);
  }
  return response;
}

oauth::v1::ServerMetadata OAuthService::GetServerMetadata() const {
  oauth::v1::ServerMetadata m;
  m.set_issuer(config_.issuer);
  for (const char* g : {"authorization_code", "client_credentials", "password",
                        "refresh_token"}) {
    if (absl::string_view(g) == "password" && !config_.password_grant) continue;
    m.add_grant_types_supported(g);
  }
  m.add_grant_types_supported(std::string(kDeviceCodeGrantType));
  m.add_response_types_supported("code");
  for (const char* a : {"client_secret_basic", "client_secret_post", "private_key_jwt", "none"}) {
    m.add_token_endpoint_auth_methods_supported(a);
  }
  for (const char* a : {"client_secret_basic", "client_secret_post", "private_key_jwt"}) {
    m.add_introspection_endpoint_auth_methods_supported(a);
    m.add_revocation_endpoint_auth_methods_supported(a);
  }
  m.add_revocation_endpoint_auth_methods_supported("none");
  // RFC 8414 §2: the algorithms of private_key_jwt assertions, here for the
  // token, introspection and revocation endpoints alike.
  // "Ed25519": the RFC 9864 fully-specified name of EdDSA with Ed25519.
  for (const char* alg : {"ES256", "RS256", "EdDSA", "Ed25519"}) {
    m.add_token_endpoint_auth_signing_alg_values_supported(alg);
    m.add_introspection_endpoint_auth_signing_alg_values_supported(alg);
    m.add_revocation_endpoint_auth_signing_alg_values_supported(alg);
  }
  m.add_code_challenge_methods_supported("S256");
  m.add_code_challenge_methods_supported("plain");
  m.set_authorization_response_iss_parameter_supported(true);
  return m;
}

absl::StatusOr<oauth::v1::CheckCorsOriginResponse> OAuthService::CheckCorsOrigin(
    const oauth::v1::CheckCorsOriginRequest& request) {
  ASSIGN_OR_RETURN(bool allowed, cors_.Allowed(request.origin(), request.client_id()));
  oauth::v1::CheckCorsOriginResponse response;
  response.set_allowed(allowed);
  return response;
}

}  // namespace oauthd
