#ifndef OAUTHD_SERVER_GATEWAY_AUTHORIZE_FORM_H_
#define OAUTHD_SERVER_GATEWAY_AUTHORIZE_FORM_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "oauth/v1/token.pb.h"
#include "server/gateway/csrf.h"
#include "server/gateway/form.h"

namespace oauthd::gateway {

// Hidden fields of the login and consent form that carry what the page shows
// (so a failed login can re-render it without another RPC). They are bound by
// the CSRF token like the authorization request itself.
inline constexpr absl::string_view kDisplayClientNameField = "display_client_name";
inline constexpr absl::string_view kDisplayScopesField = "display_scopes";
// Form fields of the login submission.
inline constexpr absl::string_view kCsrfTokenField = "csrf_token";
inline constexpr absl::string_view kActionField = "action";

// The authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3, RFC 8707) read
// from a query or form as sent: client_id, response_type, redirect_uri,
// scope, state, code_challenge, code_challenge_method and each resource. No
// login; the caller adds it for an approval.
oauth::v1::AuthorizeRequest AuthorizeRequestFromForm(const FormParameters& form);

// The authorization request parameters of `form` as (name, value) pairs in a
// fixed order, parameters without a value left out: the hidden fields of the
// login form.
CsrfProtector::Fields AuthorizationRequestFields(const FormParameters& form);

// The fields the CSRF token of a posted login form must be bound to:
// AuthorizationRequestFields plus the display fields, in a fixed order, empty
// values left out. The same function builds them when the page is rendered
// (from the request and what oauthd returned) and when it is posted.
CsrfProtector::Fields BoundFields(const FormParameters& form);

// For an authorization request that FormParameters::Parse refused only
// because a parameter is repeated: the request oauthd needs to validate the
// client and the redirect URI before the error may be redirected (RFC 6749
// §4.1.2.1) — client_id, redirect_uri and state, each only when sent exactly
// once, and nothing else (no response_type, so oauthd answers with an error
// that names the redirect URI it trusts). nullopt when `encoded` is malformed
// in another way (bad percent-encoding or UTF-8), client_id is missing or
// repeated, or redirect_uri is repeated: then no redirect URI can be trusted.
std::optional<oauth::v1::AuthorizeRequest> RedirectTargetOfRepeatedRequest(
    absl::string_view encoded);

// True when a POST /authorize is a login form submission (it carries the
// action or a CSRF token) rather than an authorization request sent by POST.
bool IsLoginSubmission(const FormParameters& form);

}  // namespace oauthd::gateway

#endif  // OAUTHD_SERVER_GATEWAY_AUTHORIZE_FORM_H_
