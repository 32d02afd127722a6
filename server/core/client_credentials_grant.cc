#include "server/core/client_credentials_grant.h"

#include "server/core/audience.h"
#include "server/core/client_registry.h"
#include "server/core/oauth_error.h"
#include "server/core/subject.h"
#include "server/core/scope.h"
#include "server/core/status_macros.h"

namespace oauthd {

absl::StatusOr<oauth::v1::TokenResponse> ClientCredentialsGrant::Handle(
    const oauth::v1::IssueTokenRequest& request,
    const storage::ClientRecord& client,
    const RequestContext& context) {
  const oauth::admin::v1::Client& c = client.client();
  if (IsPublicClient(c)) {
    return UnauthorizedClient("public clients cannot use client_credentials");
  }
  if (IsUserSubjectForm(c.client_id())) {
    // Its `sub` would be indistinguishable from a user's (RFC 9700 §4.15).
    // Creating such a client is refused; this catches one stored earlier.
    return UnauthorizedClient("a client whose id has the form of a user subject (u_...) "
                              "cannot use client_credentials");
  }
  Authorization authz;
  authz.client_id = c.client_id();
  authz.subject = c.client_id();
  ASSIGN_OR_RETURN(authz.scopes,
                   ResolveScope(request.client_credentials().scope(),
                                {c.allowed_scopes().begin(), c.allowed_scopes().end()},
                                {c.default_scopes().begin(), c.default_scopes().end()}));
  ASSIGN_OR_RETURN(authz.audiences, ResolveAudiences(request.resource(), c));
  return tokens_.Issue(client, authz, context, GrantMode::kNone);
}

}  // namespace oauthd
