#include "server/core/password_grant.h"

#include "server/core/audience.h"
#include "server/core/refresh_token_format.h"
#include "server/core/scope.h"
#include "server/core/status_macros.h"

namespace oauthd {

absl::StatusOr<oauth::v1::TokenResponse> PasswordGrant::Handle(
    const oauth::v1::IssueTokenRequest& request,
    const storage::ClientRecord& client,
    const RequestContext& context) {
  const oauth::admin::v1::Client& c = client.client();
  const oauth::v1::PasswordGrant& grant = request.password();
  Authorization authz;
  authz.client_id = c.client_id();
  // Validate everything cheap before the password check, so that a bad
  // request neither costs a scrypt nor counts as a failed login.
  ASSIGN_OR_RETURN(authz.scopes,
                   ResolveScope(grant.scope(),
                                {c.allowed_scopes().begin(), c.allowed_scopes().end()},
                                {c.default_scopes().begin(), c.default_scopes().end()}));
  ASSIGN_OR_RETURN(authz.audiences, ResolveAudiences(request.resource(), c));
  // The grant's instant is taken before the user record is read, so a
  // disable that lands while the password is checked is later than the
  // grant and revokes it (docs/revocation.md).
  authz.granted_at_ms = absl::ToUnixMillis(clock_());
  authz.grant_id = NewGrantId(authz.granted_at_ms);
  ASSIGN_OR_RETURN(storage::UserRecord user,
                   owners_.Authenticate(c.client_id(), grant.username(), grant.password(),
                                        context));
  authz.subject = user.user().subject();
  authz.username = user.user().username();
  return tokens_.Issue(client, authz, context,
                       TokenResponseFactory::ClientGetsRefreshTokens(c)
                           ? GrantMode::kNewGrantWithRefresh
                           : GrantMode::kNewGrant);
}

}  // namespace oauthd
