#include "server/authz/decision.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "server/core/config.h"
#include "server/core/revocation.h"

namespace oauthd::authz {
namespace {

AccessDecision Deny(int status, std::string www_authenticate, std::string reason) {
  AccessDecision d;
  d.http_status = status;
  d.www_authenticate = std::move(www_authenticate);
  d.reason = std::move(reason);
  return d;
}

AccessDecision InvalidToken(absl::string_view why) {
  return Deny(401, absl::StrCat("Bearer error=\"invalid_token\", error_description=\"", why, "\""),
              absl::StrCat("invalid_token: ", why));
}

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
bool IsB64Token(absl::string_view t) {
  size_t i = 0;
  while (i < t.size() && (absl::ascii_isalnum(static_cast<unsigned char>(t[i])) ||
                          absl::string_view("-._~+/").find(t[i]) != absl::string_view::npos)) {
    ++i;
  }
  if (i == 0) return false;
  while (i < t.size() && t[i] == '=') ++i;
  return i == t.size();
}

}  // namespace

AccessDecision Decider::Decide(const AccessRequest& request) const {
  if (policy_ == nullptr) return Deny(403, "", "no authorization policy is configured");
  if (!IsCanonicalPath(request.path)) {
    return Deny(400, "", "the request path is not canonical");
  }
  const Rule* rule = policy_->Match(request.host, request.method, request.path);
  if (rule == nullptr) return Deny(403, "", "no policy rule matches the request");
  if (rule->anonymous) {
    AccessDecision d;
    d.allowed = true;
    d.http_status = 200;
    d.reason = "anonymous rule";
    return d;
  }

  // RFC 6750 §2.1 and §3.1.
  absl::string_view header = absl::StripAsciiWhitespace(request.authorization);
  const size_t space = header.find(' ');
  const absl::string_view scheme = header.substr(0, space);
  if (header.empty() || !absl::EqualsIgnoreCase(scheme, "Bearer")) {
    return Deny(401, "Bearer", "no bearer token");
  }
  const absl::string_view token =
      space == absl::string_view::npos ? absl::string_view() : header.substr(space + 1);
  if (!IsB64Token(token)) {
    return Deny(400, "Bearer error=\"invalid_request\", error_description=\"malformed bearer token\"",
                "invalid_request: malformed bearer token");
  }
  if (token.size() > kMaxTokenLength) return InvalidToken("token too long");

  std::optional<AccessTokenInfo> info = issuer_.Verify(token, leeway_);
  if (!info) return InvalidToken("the token is not a valid access token of this issuer");
  if (std::find(info->aud.begin(), info->aud.end(), rule->audience) == info->aud.end()) {
    return InvalidToken("the token is for another audience");
  }

  absl::StatusOr<bool> revoked = AccessTokenRevoked(revocations_, *info);
  if (!revoked.ok()) return Deny(503, "", "revocation state unavailable");
  if (*revoked) {
    return InvalidToken("the token has been revoked");
  }

  const std::vector<absl::string_view> granted =
      absl::StrSplit(info->scope, ' ', absl::SkipEmpty());
  for (const std::string& needed : rule->scopes) {
    if (std::find(granted.begin(), granted.end(), needed) == granted.end()) {
      const std::string scopes = absl::StrJoin(rule->scopes, " ");
      return Deny(403,
                  absl::StrCat("Bearer error=\"insufficient_scope\", scope=\"", scopes, "\""),
                  absl::StrCat("insufficient_scope: needs ", scopes));
    }
  }

  AccessDecision d;
  d.allowed = true;
  d.http_status = 200;
  d.reason = "allowed";
  d.subject = std::move(info->sub);
  d.client_id = std::move(info->client_id);
  d.scope = std::move(info->scope);
  d.grant_id = std::move(info->grant_id);
  return d;
}

}  // namespace oauthd::authz
