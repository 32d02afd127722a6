#include "server/core/token_response_factory.h"

#include "absl/time/time.h"
#include "server/core/client_registry.h"
#include "server/core/hashing.h"
#include "server/core/oauth_error.h"
#include "server/core/refresh_token_format.h"
#include "server/core/scope.h"
#include "server/core/status_macros.h"

namespace oauthd {

TokenResponseFactory::TokenResponseFactory(const ServerConfig& config,
                                           const TokenIssuer& issuer,
                                           storage::RefreshTokenStore& refresh_tokens,
                                           Clock clock, AuditLog& audit)
    : config_(config), issuer_(issuer), refresh_tokens_(refresh_tokens),
      clock_(std::move(clock)), audit_(audit) {}

absl::Duration TokenResponseFactory::AccessTokenTtl(
    const oauth::admin::v1::Client& client) const {
  return client.access_token_ttl_seconds() > 0
             ? absl::Seconds(client.access_token_ttl_seconds())
             : config_.access_token_ttl;
}

absl::Duration TokenResponseFactory::RefreshTokenTtl(
    const oauth::admin::v1::Client& client) const {
  return client.refresh_token_ttl_seconds() > 0
             ? absl::Seconds(client.refresh_token_ttl_seconds())
             : config_.refresh_token_ttl;
}

absl::Duration TokenResponseFactory::RefreshFamilyTtl(
    const oauth::admin::v1::Client& client) const {
  return client.refresh_family_ttl_seconds() > 0
             ? absl::Seconds(client.refresh_family_ttl_seconds())
             : config_.refresh_family_ttl;
}

int64_t TokenResponseFactory::RefreshRetryGraceSeconds() const {
  return absl::ToInt64Seconds(config_.refresh_retry_grace);
}

bool TokenResponseFactory::ClientGetsRefreshTokens(
    const oauth::admin::v1::Client& client) {
  return ClientAllowsGrant(client, "refresh_token");
}

absl::StatusOr<oauth::v1::TokenResponse> TokenResponseFactory::Issue(
    const storage::ClientRecord& client, const Authorization& authz,
    const RequestContext& context, GrantMode mode) const {
  const absl::Duration ttl = AccessTokenTtl(client.client());
  std::string refresh_token;
  if (mode == GrantMode::kNewGrant || mode == GrantMode::kNewGrantWithRefresh) {
    if (authz.grant_id.empty()) return absl::InternalError("a new grant needs an id");
    const int64_t now = absl::ToUnixSeconds(clock_());
    storage::RefreshGrant grant;
    grant.family_id = authz.grant_id;
    grant.client_id = authz.client_id;
    grant.subject = authz.subject;
    grant.username = authz.username;
    grant.scope = JoinScope(authz.scopes);
    grant.audiences = authz.audiences;
    grant.granted_at_ms = authz.granted_at_ms;
    grant.issued_at = now;
    absl::Status created;
    if (mode == GrantMode::kNewGrantWithRefresh) {
      grant.family_expires_at = now + absl::ToInt64Seconds(RefreshFamilyTtl(client.client()));
      const int64_t rt_ttl = std::min(absl::ToInt64Seconds(RefreshTokenTtl(client.client())),
                                      grant.family_expires_at - now);
      grant.expires_at = now + rt_ttl;
      // The last access token is minted before the family ends and lives ttl.
      grant.grant_expires_at = grant.family_expires_at + absl::ToInt64Seconds(ttl) +
                               absl::ToInt64Seconds(kMaxClockLeeway);
      refresh_token = NewRefreshToken(grant.family_id);
      created = refresh_tokens_.Create(Sha256Hex(refresh_token), grant, rt_ttl);
    } else {
      grant.grant_expires_at =
          now + absl::ToInt64Seconds(ttl) + absl::ToInt64Seconds(kMaxClockLeeway);
      created = refresh_tokens_.CreateGrant(grant);
    }
    if (absl::IsFailedPrecondition(created)) {
      // Revoked before it began: a concurrent replay of the authorization
      // code revoked it (RFC 6749 §4.1.2).
      return InvalidGrant("the authorization was revoked");
    }
    RETURN_IF_ERROR(created);
  }
  ASSIGN_OR_RETURN(MintedAccessToken access, issuer_.Mint(authz, ttl));
  oauth::v1::TokenResponse response;
  response.set_access_token(std::move(access.token));
  response.set_token_type("Bearer");
  response.set_expires_in(absl::ToInt64Seconds(ttl));
  response.set_scope(JoinScope(authz.scopes));
  if (!refresh_token.empty()) response.set_refresh_token(std::move(refresh_token));
  AuditEvent event;
  event.event = mode == GrantMode::kExistingGrant ? "token.refreshed" : "token.issued";
  event.client_id = authz.client_id;
  event.subject = authz.subject;
  event.grant_id = authz.grant_id;
  event.source_address = context.source_address;
  audit_.Record(event);
  return response;
}

}  // namespace oauthd
