#include "server/core/device_code_grant.h"

#include "absl/strings/str_cat.h"
#include "server/core/hashing.h"
#include "server/core/oauth_error.h"
#include "server/core/revocation.h"
#include "server/core/scope.h"
#include "server/core/status_macros.h"

namespace oauthd {
namespace {

constexpr size_t kMaxDeviceCodeLength = 256;

}  // namespace

absl::StatusOr<oauth::v1::TokenResponse> DeviceCodeGrant::Handle(
    const oauth::v1::IssueTokenRequest& request, const storage::ClientRecord& client,
    const RequestContext& context) {
  const oauth::admin::v1::Client& c = client.client();
  const std::string& device_code = request.device_code().device_code();
  if (device_code.empty()) return InvalidRequest("device_code is required");
  if (device_code.size() > kMaxDeviceCodeLength) return InvalidGrant("unknown device_code");
  if (!request.resource().empty()) {
    return OAuthError(ErrorCode::kInvalidTarget,
                      "resource belongs in the device authorization request");
  }
  ASSIGN_OR_RETURN(storage::PollResult result,
                   devices_.Poll(Sha256Hex(device_code), c.client_id(),
                                 absl::ToUnixMillis(clock_())));
  using Outcome = storage::PollResult::Outcome;
  switch (result.outcome) {
    case Outcome::kApproved:
      break;
    case Outcome::kNotFound:
      return InvalidGrant("device_code is unknown");
    case Outcome::kClientMismatch:
      return InvalidGrant("device_code was issued to another client");
    case Outcome::kAlreadyRedeemed:
      return InvalidGrant("device_code was used already");
    case Outcome::kExpired:
      return OAuthError(ErrorCode::kExpiredToken, "device_code has expired; start again");
    case Outcome::kDenied:
      return OAuthError(ErrorCode::kAccessDenied, "the user denied the request");
    case Outcome::kSlowDown:
      return OAuthError(ErrorCode::kSlowDown,
                        absl::StrCat("polling too fast; wait ",
                                     result.authorization.interval_seconds,
                                     " seconds between requests"));
    case Outcome::kPending:
      return OAuthError(ErrorCode::kAuthorizationPending,
                        "the user has not finished yet; keep polling");
  }

  const storage::DeviceAuthorization& approved = result.authorization;
  // The owner may have been disabled (or the client's grants revoked) since
  // approving: such an approval is dead like the grants it would start.
  ASSIGN_OR_RETURN(const bool revoked,
                   OwnersRevokedGrant(revocations_, approved.subject, c.client_id(),
                                      approved.granted_at_ms));
  if (revoked) return InvalidGrant("the authorization was revoked");

  Authorization authz;
  authz.client_id = c.client_id();
  authz.subject = approved.subject;
  authz.username = approved.username;
  ASSIGN_OR_RETURN(authz.scopes, ParseScope(approved.scope));
  authz.audiences = approved.audiences;
  authz.granted_at_ms = approved.granted_at_ms;
  authz.grant_id = approved.grant_id;
  return tokens_.Issue(client, authz, context,
                       TokenResponseFactory::ClientGetsRefreshTokens(c)
                           ? GrantMode::kNewGrantWithRefresh
                           : GrantMode::kNewGrant);
}

}  // namespace oauthd
