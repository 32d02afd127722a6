#ifndef OAUTHD_SERVER_AUTHZ_DECISION_H_
#define OAUTHD_SERVER_AUTHZ_DECISION_H_

// One access decision for an API gateway (Envoy ext_authz, nginx
// auth_request, Traefik ForwardAuth): is this HTTP request, carrying this
// Authorization header, allowed upstream? docs/api-gateways.md.
//
// In order:
//   1. The request: a non-canonical path (policy.h) is 400; a request no
//      policy rule matches is 403.
//   2. The token (RFC 6750 §2.1): no Authorization header, or a scheme other
//      than Bearer (compared case-insensitively), is 401 with a bare
//      `WWW-Authenticate: Bearer` (§3.1: no error code when the client sent
//      no credentials we understand); a malformed Bearer header is 400
//      invalid_request.
//   3. The token itself: signature with one of oauthd's keys, typ at+jwt,
//      iss, exp/nbf/iat with `leeway`; then the rule's audience; then
//      revocation (jti, grant, user, client: revocation.h). Any failure is
//      401 error="invalid_token".
//   4. Scopes: a missing one is 403 error="insufficient_scope" with the
//      scopes the rule needs.
//   5. Revocation state unavailable (Redis down): 503, fail closed.
// The reasons are fixed phrases; no token or header value is echoed.

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/authz/policy.h"
#include "server/core/token_issuer.h"
#include "storage/revocation_store.h"

namespace oauthd::authz {

struct AccessRequest {
  std::string method;         // "GET"
  std::string host;           // Host / :authority, port allowed
  std::string path;           // request target: path and query
  std::string authorization;  // the Authorization header value, "" if absent
};

struct AccessDecision {
  bool allowed = false;
  int http_status = 403;         // 200 when allowed
  std::string www_authenticate;  // for 401/403 ("" otherwise)
  std::string reason;            // short, safe to show and log
  // The caller, when allowed with a token (empty for anonymous rules).
  std::string subject;
  std::string client_id;
  std::string scope;
  std::string grant_id;
};

// Thread-safe; `issuer`, `policy` and `revocations` must outlive it. Without
// a policy every request is denied (403): an unconfigured gateway must not
// let everything through.
class Decider {
 public:
  Decider(const TokenIssuer& issuer, const Policy* policy,
          storage::RevocationChecker& revocations, absl::Duration leeway)
      : issuer_(issuer), policy_(policy), revocations_(revocations), leeway_(leeway) {}

  AccessDecision Decide(const AccessRequest& request) const;

  const Policy* policy() const { return policy_; }

 private:
  const TokenIssuer& issuer_;
  const Policy* const policy_;
  storage::RevocationChecker& revocations_;
  const absl::Duration leeway_;
};

}  // namespace oauthd::authz

#endif  // OAUTHD_SERVER_AUTHZ_DECISION_H_
