#ifndef OAUTHD_SERVER_CORE_CLIENT_CREDENTIALS_GRANT_H_
#define OAUTHD_SERVER_CORE_CLIENT_CREDENTIALS_GRANT_H_

#include "server/core/grant_handler.h"
#include "server/core/token_response_factory.h"

namespace oauthd {

// Client credentials grant (RFC 6749 §4.4). Confidential clients only; the
// token's subject is the client itself (RFC 9068 §2.2); no refresh token
// (§4.4.3). Touches no storage: the client record comes from the registry
// cache and the JWT is self-contained.
class ClientCredentialsGrant final : public GrantHandler {
 public:
  explicit ClientCredentialsGrant(const TokenResponseFactory& tokens) : tokens_(tokens) {}

  absl::string_view grant_type() const override { return "client_credentials"; }
  oauth::v1::IssueTokenRequest::GrantCase grant_case() const override {
    return oauth::v1::IssueTokenRequest::kClientCredentials;
  }
  absl::StatusOr<oauth::v1::TokenResponse> Handle(
      const oauth::v1::IssueTokenRequest& request,
      const storage::ClientRecord& client,
      const RequestContext& context) override;

 private:
  const TokenResponseFactory& tokens_;
};

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_CLIENT_CREDENTIALS_GRANT_H_
