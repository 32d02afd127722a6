#ifndef OAUTHD_SERVER_GATEWAY_CORS_H_
#define OAUTHD_SERVER_GATEWAY_CORS_H_

// CORS (the Fetch standard's HTTP extensions) for browser apps calling /token
// and /revoke, and for the public documents (metadata, JWKS). Which origin
// may call is oauthd's decision (TokenService.CheckCorsOrigin); these helpers
// only read the request headers and write the response headers.

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "server/gateway/http_types.h"

namespace oauthd::gateway {

// How long a browser may cache a preflight answer, in seconds (Chromium caps
// it at 7200).
inline constexpr int kCorsPreflightMaxAgeSeconds = 600;

// The request's Origin header when it has exactly one, else nullopt.
std::optional<std::string> RequestOrigin(const HttpRequest& request);

// False for an Origin value no client can list: a byte outside visible
// ASCII (0x21-0x7E). Origins are serialised in ASCII (RFC 6454 §6.2, hosts in
// punycode) and oauthd's admin API stores nothing else, so such a value is
// refused without asking oauthd; it could not travel in CheckCorsOrigin's
// proto3 string either (a value that is not UTF-8 fails the whole request).
bool CouldBeListedOrigin(absl::string_view origin);

// True for a CORS preflight: OPTIONS with Origin and
// Access-Control-Request-Method.
bool IsCorsPreflight(const HttpRequest& request);

// Lets a page from `origin` read the response: Access-Control-Allow-Origin:
// <origin> and Vary: Origin (the answer depends on it).
void AllowOrigin(HttpResponse& response, absl::string_view origin);

// Access-Control-Allow-Origin: * for documents anyone may read (metadata,
// JWKS: public, no credentials).
void AllowAnyOrigin(HttpResponse& response);

// 204 answer to a preflight from the allowed `origin`: POST, the
// Content-Type and Authorization request headers, a max age of
// kCorsPreflightMaxAgeSeconds, Vary: Origin.
HttpResponse CorsPreflightResponse(absl::string_view origin);

// 403 answer to a preflight from an origin no client lists: no CORS headers,
// so the browser refuses the request.
HttpResponse CorsPreflightRefusal();

}  // namespace oauthd::gateway

#endif  // OAUTHD_SERVER_GATEWAY_CORS_H_
