#ifndef OAUTHD_SERVER_GATEWAY_CLIENT_AUTH_H_
#define OAUTHD_SERVER_GATEWAY_CLIENT_AUTH_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "oauth/v1/token.pb.h"
#include "server/gateway/form.h"

namespace oauthd::gateway {

// Client id and secret from an HTTP Basic Authorization header.
struct BasicCredentials {
  std::string client_id;
  std::string client_secret;
};

// Decodes the value of an `Authorization: Basic <base64>` header the way RFC
// 6749 §2.3.1 asks: Base64-decode (RFC 7617), split at the first ':', then
// application/x-www-form-urlencoded-decode each half (so "a%3Ab" is the id
// "a:b" and '+' is a space). The scheme name is case-insensitive.
// Fails with Unauthenticated (an invalid_client) when the header is not
// Basic, the Base64 is malformed, there is no ':', the id is empty, or a
// decoded part is not valid UTF-8.
absl::StatusOr<BasicCredentials> ParseBasicAuthorization(absl::string_view header_value);

// How a request to /token, /introspect or /revoke authenticates its client.
struct ClientAuthResult {
  oauth::v1::ClientAuthentication client;
  // True when the client sent an Authorization header: an invalid_client
  // answer then carries `WWW-Authenticate` (RFC 6749 §5.2).
  bool used_authorization_header = false;
};

// Collects the client authentication of a token-endpoint style request from
// the Authorization header (absent when `authorization` is nullopt) and the
// form parameters client_id, client_secret, client_assertion_type and
// client_assertion. It only reads what was sent; whether the client may
// authenticate that way is oauthd's decision: client_secret_method tells it
// whether a secret came as client_secret_basic (the header) or
// client_secret_post (the form) so it can enforce the registered method.
// Fails with InvalidArgument (invalid_request) when more than one method is
// used (RFC 6749 §2.3: Basic plus a form secret or assertion, or a secret
// plus an assertion) or when a form client_id disagrees with the Basic one;
// with Unauthenticated (invalid_client) when the header cannot be decoded.
absl::StatusOr<ClientAuthResult> ExtractClientAuthentication(
    std::optional<absl::string_view> authorization, const FormParameters& form);

}  // namespace oauthd::gateway

#endif  // OAUTHD_SERVER_GATEWAY_CLIENT_AUTH_H_
