#include "server/core/refresh_token_grant.h"

#include "server/core/config.h"
#include "server/core/hashing.h"
#include "server/core/oauth_error.h"
#include "server/core/refresh_token_format.h"
#include "server/core/scope.h"
#include "server/core/status_macros.h"

namespace oauthd {

absl::StatusOr<oauth::v1::TokenResponse> RefreshTokenGrant::Handle(
    const oauth::v1::RefreshTokenRequest& request,
    const storage::ClientRecord& client) {
  const oauth::admin::v1::Client& c = client.client();
  if (request.refresh_token().empty()) return InvalidRequest("refresh_token is required");
  // Syntax of the requested scope is checked before anything is touched.
  ASSIGN_OR_RETURN(std::vector<std::string> requested, ParseScope(request.scope()));
  std::optional<ParsedRefreshToken> parsed = ParseRefreshToken(request.refresh_token());
  if (!parsed) return InvalidGrant("refresh token is unknown, expired or revoked");

  const std::string successor = NewRefreshToken(parsed->family_id);
  storage::RefreshRotation rotation;
  rotation.client_id = c.client_id();
  rotation.requested_scope = JoinScope(requested);
  rotation.now = absl::ToUnixSeconds(clock_());
  rotation.successor_hash = Sha256Hex(successor);
  rotation.successor_ttl_seconds = absl::ToInt64Seconds(tokens_.RefreshTokenTtl(c));
  rotation.grace_seconds = std::max<int64_t>(0, c.refresh_grace_seconds());
  if (rotation.grace_seconds > 0) {
    rotation.sealed_successor = SealSuccessor(request.refresh_token(), successor);
  }
  ASSIGN_OR_RETURN(storage::RotateResult result,
                   refresh_tokens_.Rotate(parsed->family_id,
                                          Sha256Hex(request.refresh_token()), rotation));
  std::string refresh_token;
  using Outcome = storage::RotateResult::Outcome;
  switch (result.outcome) {
    case Outcome::kRotated:
      refresh_token = successor;
      break;
    case Outcome::kGraceReplay: {
      std::optional<std::string> opened =
          OpenSuccessor(request.refresh_token(), result.sealed_successor);
      if (!opened) return InvalidGrant("refresh token was already used");
      refresh_token = *std::move(opened);
      break;
    }
    case Outcome::kReuseDetected:
      return InvalidGrant(
          "refresh token was already used; the grant has been revoked");
    case Outcome::kNotFound:
      return InvalidGrant("refresh token is unknown, expired or revoked");
    case Outcome::kClientMismatch:
      return InvalidGrant("refresh token was issued to another client");
    case Outcome::kScopeWidened:
      return InvalidScope("requested scope exceeds the scope originally granted");
  }

  Authorization authz;
  authz.client_id = c.client_id();
  authz.subject = result.grant.subject;
  authz.username = result.grant.username;
  ASSIGN_OR_RETURN(authz.scopes, ParseScope(result.grant.scope));
  authz.audiences = result.grant.audiences;
  ASSIGN_OR_RETURN(oauth::v1::TokenResponse response,
                   tokens_.Issue(client, authz, /*with_refresh=*/false));
  response.set_refresh_token(std::move(refresh_token));
  return response;
}

}  // namespace oauthd
