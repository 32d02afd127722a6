#ifndef OAUTHD_SERVER_CORE_REFRESH_TOKEN_GRANT_H_
#define OAUTHD_SERVER_CORE_REFRESH_TOKEN_GRANT_H_

#include "absl/status/statusor.h"
#include "oauth/v1/token.pb.h"
#include "server/core/clock.h"
#include "server/core/token_response_factory.h"
#include "storage/records.pb.h"
#include "storage/refresh_token_store.h"

namespace oauthd {

// Refresh token grant (RFC 6749 §6) with rotation and reuse detection
// (RFC 9700 §4.14.2): every use returns a new refresh token; presenting a
// rotated one again revokes the whole family, unless it comes within the
// client's grace window, which returns the same successor again. One atomic
// store operation per request.
class RefreshTokenGrant {
 public:
  RefreshTokenGrant(const TokenResponseFactory& tokens,
                    storage::RefreshTokenStore& refresh_tokens, Clock clock)
      : tokens_(tokens), refresh_tokens_(refresh_tokens), clock_(std::move(clock)) {}

  // `client` is already authenticated and allowed the refresh_token grant.
  absl::StatusOr<oauth::v1::TokenResponse> Handle(
      const oauth::v1::RefreshTokenRequest& request,
      const storage::ClientRecord& client);

 private:
  const TokenResponseFactory& tokens_;
  storage::RefreshTokenStore& refresh_tokens_;
  const Clock clock_;
};

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_REFRESH_TOKEN_GRANT_H_
