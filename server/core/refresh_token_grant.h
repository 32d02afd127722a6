#ifndef OAUTHD_SERVER_CORE_REFRESH_TOKEN_GRANT_H_
#define OAUTHD_SERVER_CORE_REFRESH_TOKEN_GRANT_H_

#include "absl/status/statusor.h"
#include "oauth/v1/token.pb.h"
#include "server/core/clock.h"
#include "server/core/request_context.h"
#include "server/core/token_response_factory.h"
#include "storage/records.pb.h"
#include "storage/refresh_token_store.h"
#include "storage/revocation_store.h"

namespace oauthd {

// Refresh token grant (RFC 6749 §6) with rotation and reuse detection
// (RFC 9700 §4.14.2): every use returns a new refresh token; presenting a
// rotated one again revokes the whole family, unless it comes within the
// client's grace window, or within ServerConfig::refresh_retry_grace while
// the successor was never exchanged (a retry of a lost answer); both return
// the same successor again, with a new access token. One atomic
// store operation rotates; a second read checks the owners (docs/revocation.md):
// a grant authorized before its user's or client's not-before instant is
// refused with invalid_grant.
//
// Scope (RFC 6749 §6): the successor refresh token always keeps the grant's
// scope. The access token gets the requested scope (which must be within the
// grant, else invalid_scope) or the grant's, cut down to what the client is
// allowed now; a requested scope the client may no longer have is
// invalid_scope.
class RefreshTokenGrant {
 public:
  RefreshTokenGrant(const TokenResponseFactory& tokens,
                    storage::RefreshTokenStore& refresh_tokens,
                    storage::RevocationChecker& owner_revocations, Clock clock)
      : tokens_(tokens), refresh_tokens_(refresh_tokens), owner_revocations_(owner_revocations),
        clock_(std::move(clock)) {}

  // `client` is already authenticated and allowed the refresh_token grant.
  absl::StatusOr<oauth::v1::TokenResponse> Handle(
      const oauth::v1::RefreshTokenRequest& request,
      const storage::ClientRecord& client, const RequestContext& context);

 private:
  const TokenResponseFactory& tokens_;
  storage::RefreshTokenStore& refresh_tokens_;
  storage::RevocationChecker& owner_revocations_;
  const Clock clock_;
};

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_REFRESH_TOKEN_GRANT_H_
