#ifndef OAUTHD_SERVER_CORE_TOKEN_RESPONSE_FACTORY_H_
#define OAUTHD_SERVER_CORE_TOKEN_RESPONSE_FACTORY_H_

#include <string>

#include "absl/status/statusor.h"
#include "oauth/v1/token.pb.h"
#include "server/core/clock.h"
#include "server/core/config.h"
#include "server/core/token_issuer.h"
#include "storage/records.pb.h"
#include "storage/refresh_token_store.h"

namespace oauthd {

// Identifiers chosen before tokens are issued (the authorization code grant
// records them with the code so that a replayed code can revoke them).
struct PresetTokenIds {
  std::string access_token_jti;
  std::string refresh_family_id;
};

// Builds the RFC 6749 §5.1 response for a granted authorization: an access
// token, and a refresh token starting a new family when `with_refresh` (left
// out when a preset family was revoked before it started, see Issue).
// Thread-safe.
class TokenResponseFactory {
 public:
  TokenResponseFactory(const ServerConfig& config, const TokenIssuer& issuer,
                       storage::RefreshTokenStore& refresh_tokens, Clock clock);

  absl::StatusOr<oauth::v1::TokenResponse> Issue(
      const storage::ClientRecord& client, const Authorization& authz,
      bool with_refresh, const PresetTokenIds& ids = {}) const;

  // Access token lifetime for `client` (its own setting or the server's).
  absl::Duration AccessTokenTtl(const oauth::admin::v1::Client& client) const;
  absl::Duration RefreshTokenTtl(const oauth::admin::v1::Client& client) const;
  absl::Duration RefreshFamilyTtl(const oauth::admin::v1::Client& client) const;

  // True when the grant may come with a refresh token for this client.
  static bool ClientGetsRefreshTokens(const oauth::admin::v1::Client& client);

  const TokenIssuer& issuer() const { return issuer_; }

 private:
  const ServerConfig& config_;
  const TokenIssuer& issuer_;
  storage::RefreshTokenStore& refresh_tokens_;
  const Clock clock_;
};

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_TOKEN_RESPONSE_FACTORY_H_
