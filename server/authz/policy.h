#ifndef OAUTHD_SERVER_AUTHZ_POLICY_H_
#define OAUTHD_SERVER_AUTHZ_POLICY_H_

// The API-gateway authorization policy (--authz_policy=FILE, YAML): which
// audience and scopes a request needs, by host, path prefix and method.
// docs/api-gateways.md shows a full file. In short:
//
//   identity_headers:            # optional; these are the defaults
//     subject: x-auth-subject
//     client_id: x-auth-client-id
//     scope: x-auth-scope
//     grant_id: x-auth-grant-id
//   remove_authorization: false  # strip the Authorization header upstream
//   rules:                       # the first matching rule decides
//     - host: api.example.com    # optional; exact, case-insensitive, no port
//       path_prefix: /orders     # required; whole segments ("/orders" matches
//                                #   "/orders" and "/orders/7", not "/ordersx")
//       methods: [GET, HEAD]     # optional; any method when absent
//       audience: orders-api     # required unless anonymous
//       scopes: [orders.read]    # optional; every one is required
//     - path_prefix: /healthz
//       anonymous: true          # no token needed (nor checked)
//
// A request no rule matches is denied (403). Unknown keys are errors, so a
// misspelled `scope:` cannot silently drop a requirement.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace oauthd::authz {

struct Rule {
  std::string host;                  // lower-case; "" = any host
  std::string path_prefix;           // starts with '/'
  std::vector<std::string> methods;  // upper-case; empty = any
  bool anonymous = false;
  std::string audience;
  std::vector<std::string> scopes;
  int line = 0;                      // 1-based, for messages
};

// Names of the request headers that carry the caller's identity upstream
// (lower-case).
struct IdentityHeaders {
  std::string subject = "x-auth-subject";
  std::string client_id = "x-auth-client-id";
  std::string scope = "x-auth-scope";
  std::string grant_id = "x-auth-grant-id";
};

struct Policy {
  std::vector<Rule> rules;
  IdentityHeaders headers;
  bool remove_authorization = false;

  // The first rule for `host` (port and case ignored), `method` (case
  // ignored) and `path` (query and ";params" of segments ignored, as servlet
  // containers route), or nullptr. `path` must be canonical (IsCanonicalPath).
  const Rule* Match(absl::string_view host, absl::string_view method,
                    absl::string_view path) const;
};

// Parses the YAML text of a policy. INVALID_ARGUMENT naming the line and the
// problem ("line 7: unknown key 'scope' (did you mean 'scopes'?)").
absl::StatusOr<Policy> ParsePolicy(absl::string_view yaml);
// Reads and parses a policy file; the message names the file.
absl::StatusOr<Policy> LoadPolicy(const std::string& path);

// False for a path that different servers could read differently: no leading
// '/', dot segments (also "..;x", which servlet containers read as ".."),
// empty segments, backslashes, percent-encoding of '/', '\', '%', NUL or of
// an unreserved character (a backend decodes "%61" to "a"), a malformed
// percent-encoding, control characters. Prefix rules are only safe on canonical paths, so
// such requests are refused before matching.
bool IsCanonicalPath(absl::string_view path);

}  // namespace oauthd::authz

#endif  // OAUTHD_SERVER_AUTHZ_POLICY_H_
