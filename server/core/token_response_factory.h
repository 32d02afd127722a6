#ifndef OAUTHD_SERVER_CORE_TOKEN_RESPONSE_FACTORY_H_
#define OAUTHD_SERVER_CORE_TOKEN_RESPONSE_FACTORY_H_

#include <string>

#include "absl/status/statusor.h"
#include "oauth/v1/token.pb.h"
#include "server/core/clock.h"
#include "server/core/audit_log.h"
#include "server/core/config.h"
#include "server/core/request_context.h"
#include "server/core/token_issuer.h"
#include "storage/records.pb.h"
#include "storage/refresh_token_store.h"

namespace oauthd {

// What Issue does about the grant behind the tokens (docs/revocation.md).
enum class GrantMode {
  kNone,                  // client_credentials: the token belongs to its client
  kNewGrant,              // start authz.grant_id; no refresh token
  kNewGrantWithRefresh,   // start authz.grant_id with its first refresh token
  kExistingGrant,         // refresh: the grant exists; an access token only
};

// Builds the RFC 6749 §5.1 response for a granted authorization: an access
// token, and for kNewGrantWithRefresh a refresh token whose family is the
// grant. A new grant's record is written before its access token is minted,
// so no token ever names a grant that was not recorded. Thread-safe.
class TokenResponseFactory {
 public:
  // `audit` hears token.issued and token.refreshed.
  TokenResponseFactory(const ServerConfig& config, const TokenIssuer& issuer,
                       storage::RefreshTokenStore& refresh_tokens, Clock clock,
                       AuditLog& audit);

  // Errors: invalid_grant when a new grant's id was revoked before it
  // started (a concurrent replay of its authorization code), the store's
  // errors (temporarily_unavailable), server_error when signing fails.
  absl::StatusOr<oauth::v1::TokenResponse> Issue(const storage::ClientRecord& client,
                                                 const Authorization& authz,
                                                 const RequestContext& context,
                                                 GrantMode mode) const;

  // Access token lifetime for `client` (its own setting or the server's).
  absl::Duration AccessTokenTtl(const oauth::admin::v1::Client& client) const;
  absl::Duration RefreshTokenTtl(const oauth::admin::v1::Client& client) const;
  absl::Duration RefreshFamilyTtl(const oauth::admin::v1::Client& client) const;
  // ServerConfig::refresh_retry_grace in whole seconds (refresh_token_store.h).
  int64_t RefreshRetryGraceSeconds() const;

  // True when the grant may come with a refresh token for this client.
  static bool ClientGetsRefreshTokens(const oauth::admin::v1::Client& client);

  const TokenIssuer& issuer() const { return issuer_; }
  // Where the grants record their security events (reuse, replay).
  AuditLog& audit() const { return audit_; }

 private:
  const ServerConfig& config_;
  const TokenIssuer& issuer_;
  storage::RefreshTokenStore& refresh_tokens_;
  const Clock clock_;
  AuditLog& audit_;
};

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_TOKEN_RESPONSE_FACTORY_H_
