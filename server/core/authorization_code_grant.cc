#include "server/core/authorization_code_grant.h"

#include "absl/strings/str_split.h"
#include "server/core/config.h"
#include "server/core/hashing.h"
#include "server/core/oauth_error.h"
#include "server/core/pkce.h"
#include "server/core/refresh_token_format.h"
#include "server/core/revocation.h"
#include "server/core/random.h"
#include "server/core/scope.h"
#include "server/core/status_macros.h"

namespace oauthd {
namespace {

constexpr size_t kMaxCodeLength = 256;

}  // namespace

absl::StatusOr<oauth::v1::TokenResponse> AuthorizationCodeGrant::Handle(
    const oauth::v1::IssueTokenRequest& request,
    const storage::ClientRecord& client,
    const RequestContext& context) {
  const oauth::admin::v1::Client& c = client.client();
  const oauth::v1::AuthorizationCodeGrant& grant = request.authorization_code();
  if (grant.code().empty()) return InvalidRequest("code is required");
  if (grant.code().size() > kMaxCodeLength) return InvalidGrant("unknown authorization code");
  if (grant.redirect_uri().size() > kMaxUriLength) {
    return InvalidRequest("redirect_uri is too long");
  }
  if (!grant.code_verifier().empty() && !IsValidPkceString(grant.code_verifier())) {
    return InvalidRequest("code_verifier must be 43-128 characters of [A-Za-z0-9-._~]");
  }
  if (!request.resource().empty()) {
    // The audience was fixed at the authorization request.
    return OAuthError(ErrorCode::kInvalidTarget,
                      "resource belongs in the authorization request for this grant");
  }

  storage::CodeRedemption redemption;
  redemption.client_id = c.client_id();
  redemption.redirect_uri = grant.redirect_uri();
  redemption.code_verifier = grant.code_verifier();
  if (!grant.code_verifier().empty()) {
    redemption.code_verifier_s256 = PkceS256(grant.code_verifier());
  }

  ASSIGN_OR_RETURN(storage::RedeemResult result,
                   codes_.Redeem(Sha256Hex(grant.code()), redemption));
  using Outcome = storage::RedeemResult::Outcome;
  switch (result.outcome) {
    case Outcome::kRedeemed:
      break;
    case Outcome::kAlreadyRedeemed:
      // RFC 6749 §4.1.2: revoke what was issued from the code. Every token of
      // it names the grant, so revoking the grant reaches all of them.
      if (!result.code.grant_id.empty()) {
        RETURN_IF_ERROR(refresh_tokens_.RevokeFamily(result.code.grant_id));
      }
      tokens_.audit().Record({.event = "code.replay",
                              .client_id = c.client_id(),
                              .subject = result.code.subject,
                              .grant_id = result.code.grant_id,
                              .source_address = context.source_address,
                              .detail = "the grant is revoked"});
      return InvalidGrant(
          "authorization code was already used; tokens issued from it are revoked");
    case Outcome::kNotFound:
      return InvalidGrant("authorization code is unknown or expired");
    case Outcome::kClientMismatch:
      return InvalidGrant("authorization code was issued to another client");
    case Outcome::kRedirectMismatch:
      return InvalidGrant("redirect_uri does not match the authorization request");
    case Outcome::kVerifierMismatch:
      return InvalidGrant("PKCE verification failed");
  }

  // The owner may have been disabled (or the client's grants revoked) since
  // approving: such a code is dead like the grants it would have started.
  ASSIGN_OR_RETURN(const bool revoked,
                   OwnersRevokedGrant(owner_revocations_, result.code.subject, c.client_id(),
                                      result.code.granted_at_ms));
  if (revoked) {
    return InvalidGrant("the authorization was revoked");
  }

  Authorization authz;
  authz.client_id = c.client_id();
  authz.subject = result.code.subject;
  authz.username = result.code.username;
  ASSIGN_OR_RETURN(authz.scopes, ParseScope(result.code.scope));
  authz.audiences = result.code.audiences;
  // A code saved before grants existed gets its grant now.
  authz.granted_at_ms = result.code.granted_at_ms > 0 ? result.code.granted_at_ms
                                                      : result.code.auth_time * 1000;
  authz.grant_id = result.code.grant_id.empty() ? NewGrantId(authz.granted_at_ms)
                                                : result.code.grant_id;
  return tokens_.Issue(client, authz, context,
                       TokenResponseFactory::ClientGetsRefreshTokens(c)
                           ? GrantMode::kNewGrantWithRefresh
                           : GrantMode::kNewGrant);
}

}  // namespace oauthd
