#include "server/core/refresh_token_grant.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

#include "server/core/config.h"
#include "server/core/hashing.h"
#include "server/core/oauth_error.h"
#include "server/core/refresh_token_format.h"
#include "server/core/revocation.h"
#include "server/core/scope.h"
#include "server/core/status_macros.h"

namespace oauthd {

absl::StatusOr<oauth::v1::TokenResponse> RefreshTokenGrant::Handle(
    const oauth::v1::RefreshTokenRequest& request,
    const storage::ClientRecord& client, const RequestContext& context) {
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
  rotation.retry_grace_seconds = tokens_.RefreshRetryGraceSeconds();
  if (rotation.grace_seconds > 0 || rotation.retry_grace_seconds > 0) {
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
      tokens_.audit().Record({.event = "refresh.reuse",
                              .client_id = c.client_id(),
                              .grant_id = parsed->family_id,
                              .source_address = context.source_address,
                              .detail = "the grant is revoked"});
      return InvalidGrant(
          "refresh token was already used; the grant has been revoked");
    case Outcome::kNotFound:
      return InvalidGrant("refresh token is unknown, expired or revoked");
    case Outcome::kClientMismatch:
      return InvalidGrant("refresh token was issued to another client");
    case Outcome::kScopeWidened:
      return InvalidScope("requested scope exceeds the scope originally granted");
  }

  // The owners: a user disabled, deleted or given a new password, or a
  // client deleted (and perhaps created again) or revoked, since the grant.
  ASSIGN_OR_RETURN(const bool revoked,
                   OwnersRevokedGrant(owner_revocations_, result.grant.subject, c.client_id(),
                                      result.grant.granted_at_ms));
  if (revoked) {
    return InvalidGrant("refresh token is unknown, expired or revoked");
  }

  Authorization authz;
  authz.client_id = c.client_id();
  authz.subject = result.grant.subject;
  authz.username = result.grant.username;
  authz.grant_id = result.grant.family_id;
  authz.granted_at_ms = result.grant.granted_at_ms;
  ASSIGN_OR_RETURN(std::vector<std::string> granted, ParseScope(result.grant.scope));
  // Never more than the client may have now (its allowed scopes may have
  // shrunk since the grant).
  const auto& allowed = c.allowed_scopes();
  auto allowed_now = [&](const std::string& s) {
    return std::find(allowed.begin(), allowed.end(), s) != allowed.end();
  };
  for (const std::string& s : requested.empty() ? granted : requested) {
    if (allowed_now(s)) {
      authz.scopes.push_back(s);
    } else if (!requested.empty()) {
      return InvalidScope(absl::StrCat("the client may no longer request scope '", s, "'"));
    }
  }
  authz.audiences = result.grant.audiences;
  ASSIGN_OR_RETURN(oauth::v1::TokenResponse response,
                   tokens_.Issue(client, authz, context, GrantMode::kExistingGrant));
  response.set_refresh_token(std::move(refresh_token));
  return response;
}

}  // namespace oauthd
