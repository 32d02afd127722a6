#ifndef OAUTHD_SERVER_CORE_AUTHORIZATION_CODE_GRANT_H_
#define OAUTHD_SERVER_CORE_AUTHORIZATION_CODE_GRANT_H_

#include "server/core/clock.h"
#include "server/core/grant_handler.h"
#include "server/core/token_response_factory.h"
#include "storage/code_store.h"
#include "storage/revocation_store.h"

namespace oauthd {

// Authorization code grant, token request (RFC 6749 §4.1.3) with PKCE
// (RFC 7636 §4.5-4.6). Redemption is one atomic store operation, so of
// concurrent redemptions exactly one wins. Presenting a spent code fails with
// invalid_grant and revokes its grant, so every token issued from it dies
// (RFC 6749 §4.1.2). A code whose owner or client was revoked after approval
// fails with invalid_grant.
class AuthorizationCodeGrant final : public GrantHandler {
 public:
  AuthorizationCodeGrant(const TokenResponseFactory& tokens, storage::CodeStore& codes,
                         storage::RefreshTokenStore& refresh_tokens,
                         storage::RevocationChecker& owner_revocations, Clock clock)
      : tokens_(tokens), codes_(codes), refresh_tokens_(refresh_tokens),
        owner_revocations_(owner_revocations), clock_(std::move(clock)) {}

  absl::string_view grant_type() const override { return "authorization_code"; }
  oauth::v1::IssueTokenRequest::GrantCase grant_case() const override {
    return oauth::v1::IssueTokenRequest::kAuthorizationCode;
  }
  absl::StatusOr<oauth::v1::TokenResponse> Handle(
      const oauth::v1::IssueTokenRequest& request,
      const storage::ClientRecord& client,
      const RequestContext& context) override;

 private:
  const TokenResponseFactory& tokens_;
  storage::CodeStore& codes_;
  storage::RefreshTokenStore& refresh_tokens_;
  storage::RevocationChecker& owner_revocations_;
  const Clock clock_;
};

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_AUTHORIZATION_CODE_GRANT_H_
