#include "server/core/token_response_factory.h"

#include "absl/time/time.h"
#include "server/core/client_registry.h"
#include "server/core/hashing.h"
#include "server/core/refresh_token_format.h"
#include "server/core/scope.h"
#include "server/core/status_macros.h"

namespace oauthd {

TokenResponseFactory::TokenResponseFactory(const ServerConfig& config,
                                           const TokenIssuer& issuer,
                                           storage::RefreshTokenStore& refresh_tokens,
                                           Clock clock)
    : config_(config), issuer_(issuer), refresh_tokens_(refresh_tokens),
      clock_(std::move(clock)) {}

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

bool TokenResponseFactory::ClientGetsRefreshTokens(
    const oauth::admin::v1::Client& client) {
  return ClientAllowsGrant(client, "refresh_token");
}

absl::StatusOr<oauth::v1::TokenResponse> TokenResponseFactory::Issue(
    const storage::ClientRecord& client, const Authorization& authz,
    bool with_refresh, const PresetTokenIds& ids) const {
  const absl::Duration ttl = AccessTokenTtl(client.client());
  ASSIGN_OR_RETURN(MintedAccessToken access,
                   issuer_.Mint(authz, ttl, ids.access_token_jti));
  oauth::v1::TokenResponse response;
  response.set_access_token(std::move(access.token));
  response.set_token_type("Bearer");
  response.set_expires_in(absl::ToInt64Seconds(ttl));
  const std::string scope = JoinScope(authz.scopes);
  response.set_scope(scope);
  if (with_refresh) {
    const int64_t now = absl::ToUnixSeconds(clock_());
    storage::RefreshGrant grant;
    grant.family_id =
        ids.refresh_family_id.empty() ? NewRefreshFamilyId() : ids.refresh_family_id;
    grant.client_id = authz.client_id;
    grant.subject = authz.subject;
    grant.username = authz.username;
    grant.scope = scope;
    grant.audiences = authz.audiences;
    grant.issued_at = now;
    grant.family_expires_at = now + absl::ToInt64Seconds(RefreshFamilyTtl(client.client()));
    const int64_t rt_ttl = std::min(absl::ToInt64Seconds(RefreshTokenTtl(client.client())),
                                    grant.family_expires_at - now);
    grant.expires_at = now + rt_ttl;
    const std::string token = NewRefreshToken(grant.family_id);
    absl::Status created = refresh_tokens_.Create(Sha256Hex(token), grant, rt_ttl);
    if (absl::IsFailedPrecondition(created) && !ids.refresh_family_id.empty()) {
      // The family was revoked before it began: a concurrent replay of the
      // authorization code revoked everything issued from it (RFC 6749
      // §4.1.2). This response goes out without a refresh token, and its
      // access token is already on the denylist.
      return response;
    }
    RETURN_IF_ERROR(created);
    response.set_refresh_token(token);
  }
  return response;
}

}  // namespace oauthd
