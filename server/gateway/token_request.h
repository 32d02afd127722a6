#ifndef OAUTHD_SERVER_GATEWAY_TOKEN_REQUEST_H_
#define OAUTHD_SERVER_GATEWAY_TOKEN_REQUEST_H_

#include <string>
#include <variant>

#include "absl/strings/string_view.h"
#include "oauth/v1/token.pb.h"
#include "server/gateway/form.h"

namespace oauthd::gateway {

// RFC 8628 §3.4.
inline constexpr absl::string_view kDeviceCodeGrantType =
    "urn:ietf:params:oauth:grant-type:device_code";

// The one RPC a POST /token turns into.
using TokenRpc = std::variant<oauth::v1::IssueTokenRequest, oauth::v1::RefreshTokenRequest>;

// Translates the form of a token request (RFC 6749 §4.1.3, §4.3.2, §4.4.2, §6)
// into its RPC, without judging it: grant_type client_credentials, password
// authorization_code and kDeviceCodeGrantType (device_code) become
// IssueToken with that grant; refresh_token
// becomes RefreshToken; any other value becomes IssueToken with
// `other_grant_type` (oauthd answers unsupported_grant_type); no grant_type
// becomes IssueToken without a grant (oauthd answers invalid_request).
// Every `resource` (RFC 8707) goes to IssueToken.
TokenRpc BuildTokenRpc(const FormParameters& form, const oauth::v1::ClientAuthentication& client);

// The grant_type as a metrics label: one of the four RFC 6749 values or
// "device_code",
// "none" when absent, "other" for anything else (keeps label sets bounded).
absl::string_view GrantTypeLabel(absl::string_view grant_type);

}  // namespace oauthd::gateway

#endif  // OAUTHD_SERVER_GATEWAY_TOKEN_REQUEST_H_
