#include "server/core/authorization_endpoint.h"

#include "server/core/audience.h"
#include "server/core/hashing.h"
#include "server/core/oauth_error.h"
#include "server/core/pkce.h"
#include "server/core/random.h"
#include "server/core/redirect_uri.h"
#include "server/core/refresh_token_format.h"
#include "server/core/scope.h"
#include "server/core/status_macros.h"

namespace oauthd {
absl::StatusOr<oauth::v1::AuthorizeResponse> AuthorizationEndpoint::Authorize(
    const oauth::v1::AuthorizeRequest& request, const RequestContext& context) {
  // 1. Client and redirect URI: errors here must never redirect.
  if (request.client_id().empty()) return InvalidRequest("client_id is required");
  if (request.client_id().size() > kMaxClientIdLength) {
    return InvalidRequest("client_id is too long");
  }
  absl::StatusOr<std::shared_ptr<const storage::ClientRecord>> record =
      clients_.Get(request.client_id());
  if (!record.ok()) {
    if (ToOAuthError(record.status()).error() == "invalid_client") {
      return InvalidRequest("unknown client_id");
    }
    return record.status();
  }
  const oauth::admin::v1::Client& c = (*record)->client();
  std::string redirect_uri;
  if (request.redirect_uri().empty()) {
    if (c.redirect_uris_size() != 1) {
      return InvalidRequest("redirect_uri is required for this client");
    }
    redirect_uri = c.redirect_uris(0);
  } else {
    std::optional<std::string> matched = MatchRedirectUri(
        {c.redirect_uris().begin(), c.redirect_uris().end()}, request.redirect_uri());
    if (!matched) return InvalidRequest("redirect_uri is not registered for this client");
    redirect_uri = *matched;
  }
  if (request.state().size() > kMaxStateLength) {
    // Too long to echo back safely.
    return InvalidRequest("state is too long");
  }

  // 2. Everything else is reported to the client by redirect.
  oauth::v1::AuthorizeResponse response;
  std::vector<std::string> scopes;
  std::vector<std::string> audiences;
  absl::Status checked = [&]() -> absl::Status {
    if (request.response_type().empty()) return InvalidRequest("response_type is required");
    if (request.response_type() != "code") {
      return OAuthError(ErrorCode::kUnsupportedResponseType,
                        "only response_type=code is supported");
    }
    if (!ClientAllowsGrant(c, "authorization_code")) {
      return UnauthorizedClient("client may not use the authorization_code grant");
    }
    ASSIGN_OR_RETURN(scopes,
                     ResolveScope(request.scope(),
                                  {c.allowed_scopes().begin(), c.allowed_scopes().end()},
                                  {c.default_scopes().begin(), c.default_scopes().end()}));
    ASSIGN_OR_RETURN(audiences, ResolveAudiences(request.resource(), c));
    const bool pkce_required = IsPublicClient(c) || !c.has_require_pkce() || c.require_pkce();
    if (request.code_challenge().empty()) {
      if (!request.code_challenge_method().empty()) {
        return InvalidRequest("code_challenge_method without code_challenge");
      }
      if (pkce_required) return InvalidRequest("code_challenge is required (PKCE, S256)");
    } else {
      RETURN_IF_ERROR(ValidateCodeChallenge(request.code_challenge(),
                                            request.code_challenge_method(),
                                            c.allow_plain_pkce()));
    }
    return absl::OkStatus();
  }();
  if (!checked.ok()) return WithRedirect(checked, redirect_uri, request.state());

  response.set_client_id(c.client_id());
  response.set_client_name(c.client_name().empty() ? c.client_id() : c.client_name());
  response.set_redirect_uri(redirect_uri);
  for (const std::string& s : scopes) response.add_scopes(s);
  response.set_state(request.state());
  response.set_iss(config_.issuer);
  if (!request.has_login()) return response;

  // 3. The owner logged in and approved: authenticate and mint the code.
  // Credential failures are not redirected: the login page asks again.
  // The grant's instant precedes the user check (see PasswordGrant).
  const int64_t granted_at_ms = absl::ToUnixMillis(clock_());
  ASSIGN_OR_RETURN(storage::UserRecord user,
                   owners_.Authenticate(c.client_id(), request.login().username(),
                                        request.login().password(), context));
  storage::AuthorizationCode code;
  code.client_id = c.client_id();
  code.redirect_uri = redirect_uri;
  code.redirect_uri_in_request = !request.redirect_uri().empty();
  code.scope = JoinScope(scopes);
  code.subject = user.user().subject();
  code.username = user.user().username();
  code.audiences = audiences;
  if (!request.code_challenge().empty()) {
    code.code_challenge = request.code_challenge();
    code.code_challenge_method = NormalizeChallengeMethod(request.code_challenge_method());
  }
  code.auth_time = absl::ToUnixSeconds(clock_());
  code.grant_id = NewGrantId(granted_at_ms);
  code.granted_at_ms = granted_at_ms;
  const std::string value = RandomToken(32);
  absl::Status saved = codes_.Save(Sha256Hex(value), code, config_.code_ttl);
  if (!saved.ok()) return WithRedirect(saved, redirect_uri, request.state());
  response.set_code(value);
  response.set_code_expires_in(absl::ToInt64Seconds(config_.code_ttl));
  return response;
}

}  // namespace oauthd
