#include "server/core/token_inspector.h"

#include <algorithm>

#include "server/core/config.h"
#include "server/core/hashing.h"
#include "server/core/oauth_error.h"
#include "server/core/refresh_token_format.h"
#include "server/core/revocation.h"
#include "server/core/status_macros.h"

namespace oauthd {
namespace {

// RFC 7662 §4: who may learn about a token.
bool MayIntrospect(const storage::ClientRecord& caller, absl::string_view token_client,
                   const std::vector<std::string>& audiences) {
  const oauth::admin::v1::Client& c = caller.client();
  return c.introspect_any_token() || c.client_id() == token_client ||
         std::find(audiences.begin(), audiences.end(), c.client_id()) != audiences.end();
}

}  // namespace

std::optional<oauth::v1::IntrospectResponse> TokenInspector::InspectAccess(
    const storage::ClientRecord& caller, absl::string_view token, absl::Status* error) {
  std::optional<AccessTokenInfo> info = issuer_.Verify(token);
  if (!info) return std::nullopt;
  // Not entitled: the same answer as for a dead token, and no store read.
  if (!MayIntrospect(caller, info->client_id, info->aud)) return std::nullopt;
  absl::StatusOr<bool> revoked = AccessTokenRevoked(checker_, *info);
  if (!revoked.ok()) {
    *error = revoked.status();
    return std::nullopt;
  }
  if (*revoked) return std::nullopt;
  oauth::v1::IntrospectResponse r;
  r.set_active(true);
  r.set_scope(info->scope);
  r.set_client_id(info->client_id);
  r.set_username(info->username);
  r.set_token_type("Bearer");
  r.set_exp(info->exp);
  r.set_iat(info->iat);
  r.set_nbf(info->nbf);
  r.set_sub(info->sub);
  for (const std::string& a : info->aud) r.add_aud(a);
  r.set_iss(info->iss);
  r.set_jti(info->jti);
  r.set_grant_id(info->grant_id);
  return r;
}

std::optional<oauth::v1::IntrospectResponse> TokenInspector::InspectRefresh(
    const storage::ClientRecord& caller, absl::string_view token, absl::Status* error) {
  std::optional<ParsedRefreshToken> parsed = ParseRefreshToken(token);
  if (!parsed) return std::nullopt;
  absl::StatusOr<std::optional<storage::RefreshTokenState>> state =
      refresh_tokens_.Lookup(parsed->family_id, Sha256Hex(token));
  if (!state.ok()) {
    *error = state.status();
    return std::nullopt;
  }
  if (!state->has_value() || (*state)->rotated) return std::nullopt;
  const storage::RefreshGrant& g = (*state)->grant;
  if (g.expires_at <= absl::ToUnixSeconds(clock_())) return std::nullopt;
  if (!MayIntrospect(caller, g.client_id, g.audiences)) return std::nullopt;
  absl::StatusOr<bool> revoked =
      OwnersRevokedGrant(checker_, g.subject, g.client_id, g.granted_at_ms);
  if (!revoked.ok()) {
    *error = revoked.status();
    return std::nullopt;
  }
  if (*revoked) return std::nullopt;
  oauth::v1::IntrospectResponse r;
  r.set_active(true);
  r.set_scope(g.scope);
  r.set_client_id(g.client_id);
  r.set_username(g.username);
  r.set_token_type("refresh_token");
  r.set_exp(g.expires_at);
  r.set_iat(g.issued_at);
  r.set_sub(g.subject);
  for (const std::string& a : g.audiences) r.add_aud(a);
  r.set_iss(issuer_.issuer());
  r.set_grant_id(g.family_id);
  return r;
}

absl::StatusOr<oauth::v1::IntrospectResponse> TokenInspector::Introspect(
    const storage::ClientRecord& caller, absl::string_view token,
    absl::string_view token_type_hint) {
  if (token.empty()) return InvalidRequest("token is required");
  oauth::v1::IntrospectResponse inactive;
  inactive.set_active(false);
  if (token.size() > kMaxTokenLength) return inactive;
  absl::Status error;
  std::optional<oauth::v1::IntrospectResponse> found;
  if (token_type_hint == "refresh_token") {
    found = InspectRefresh(caller, token, &error);
    if (!found && error.ok()) found = InspectAccess(caller, token, &error);
  } else {
    found = InspectAccess(caller, token, &error);
    if (!found && error.ok()) found = InspectRefresh(caller, token, &error);
  }
  if (!error.ok()) return error;
  return found ? *std::move(found) : inactive;
}

absl::Status TokenInspector::Revoke(const storage::ClientRecord& caller,
                                    absl::string_view token,
                                    absl::string_view token_type_hint) {
  (void)token_type_hint;  // the two formats are told apart without it
  if (token.empty()) return InvalidRequest("token is required");
  if (token.size() > kMaxTokenLength) return absl::OkStatus();
  const std::string& caller_id = caller.client().client_id();
  if (std::optional<ParsedRefreshToken> parsed = ParseRefreshToken(token)) {
    ASSIGN_OR_RETURN(std::optional<storage::RefreshTokenState> state,
                     refresh_tokens_.Lookup(parsed->family_id, Sha256Hex(token)));
    if (!state.has_value()) return absl::OkStatus();
    if (state->grant.client_id != caller_id) {
      return UnauthorizedClient("the token was not issued to this client");
    }
    return refresh_tokens_.RevokeFamily(parsed->family_id);
  }
  std::optional<AccessTokenInfo> info = issuer_.Verify(token);
  if (!info) return absl::OkStatus();
  if (info->client_id != caller_id) {
    return UnauthorizedClient("the token was not issued to this client");
  }
  const absl::Duration remaining = absl::FromUnixSeconds(info->exp) - clock_();
  if (remaining <= absl::ZeroDuration()) return absl::OkStatus();
  return revocations_.Revoke(info->jti, remaining + kMaxClockLeeway);
}

}  // namespace oauthd
