#ifndef OAUTHD_SERVER_GATEWAY_HTML_H_
#define OAUTHD_SERVER_GATEWAY_HTML_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace oauthd::gateway {

// Escapes text for HTML element content and double-quoted attribute values:
// & < > " ' become character references. Everything the pages show that came
// from a request or from oauthd goes through it.
std::string HtmlEscape(absl::string_view text);

// What the login and consent page shows and carries.
struct LoginPageModel {
  // Display name of the client; the client_id is shown when empty.
  std::string client_name;
  std::string client_id;
  // The scopes the resource owner is asked to approve.
  std::vector<std::string> scopes;
  // Hidden inputs posted back with the form (the authorization request and
  // the CSRF token), in order.
  std::vector<std::pair<std::string, std::string>> hidden_fields;
  // Username to pre-fill after a failed attempt.
  std::string username;
  // A message shown above the form (e.g. wrong credentials); none when empty.
  std::string message;
  // Where the form posts to.
  std::string form_action = "/authorize";
};

// The login and consent page: plain HTML and a little inline CSS, no
// JavaScript, a label for every input, Approve and Deny buttons (Deny skips
// the browser's required-field check).
std::string RenderLoginPage(const LoginPageModel& model);

// A page for an error that cannot be sent back to the client (RFC 6749
// §4.1.2.1: unknown client or redirection URI) or for a rejected form post.
std::string RenderErrorPage(absl::string_view title, absl::string_view error,
                            absl::string_view description);

// The start of every page (doctype, head with the one style block, <main>)
// and its end, for pages rendered elsewhere (device_page.h).
std::string HtmlPageHead(absl::string_view title);
absl::string_view HtmlPageTail();

// The Content-Security-Policy for these pages: nothing may load, the one
// inline style block is allowed by its hash, and no one may frame them.
const std::string& PageContentSecurityPolicy();

}  // namespace oauthd::gateway

#endif  // OAUTHD_SERVER_GATEWAY_HTML_H_
