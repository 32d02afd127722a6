#ifndef OAUTHD_SERVER_CORE_PASSWORD_GRANT_H_
#define OAUTHD_SERVER_CORE_PASSWORD_GRANT_H_

#include "server/core/grant_handler.h"
#include "server/core/resource_owner_authenticator.h"
#include "server/core/token_response_factory.h"

namespace oauthd {

// Resource owner password credentials grant (RFC 6749 §4.3). Issues an access
// token and, when the client may refresh, a refresh token.
class PasswordGrant final : public GrantHandler {
 public:
  PasswordGrant(const TokenResponseFactory& tokens, ResourceOwnerAuthenticator& owners,
                Clock clock)
      : tokens_(tokens), owners_(owners), clock_(std::move(clock)) {}

  absl::string_view grant_type() const override { return "password"; }
  oauth::v1::IssueTokenRequest::GrantCase grant_case() const override {
    return oauth::v1::IssueTokenRequest::kPassword;
  }
  absl::StatusOr<oauth::v1::TokenResponse> Handle(
      const oauth::v1::IssueTokenRequest& request,
      const storage::ClientRecord& client,
      const RequestContext& context) override;

 private:
  const TokenResponseFactory& tokens_;
  ResourceOwnerAuthenticator& owners_;
  const Clock clock_;
};

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_PASSWORD_GRANT_H_
