#ifndef OAUTHD_SERVER_CORE_GRANT_HANDLER_H_
#define OAUTHD_SERVER_CORE_GRANT_HANDLER_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "oauth/v1/token.pb.h"
#include "server/core/request_context.h"
#include "storage/records.pb.h"

namespace oauthd {

// One grant type of the token endpoint (RFC 6749 §4). The service
// authenticates the client and checks that the client may use grant_type()
// before calling Handle. Adding a grant means one new handler and one
// registration line in OAuthService. Implementations are thread-safe.
class GrantHandler {
 public:
  virtual ~GrantHandler() = default;

  // The grant_type value, e.g. "client_credentials".
  virtual absl::string_view grant_type() const = 0;
  // Which oneof case of IssueTokenRequest this handler serves.
  virtual oauth::v1::IssueTokenRequest::GrantCase grant_case() const = 0;
  // Issues tokens or returns a typed OAuth error. Must not change state on
  // failure (reuse detection excepted).
  virtual absl::StatusOr<oauth::v1::TokenResponse> Handle(
      const oauth::v1::IssueTokenRequest& request, const storage::ClientRecord& client,
      const RequestContext& context) = 0;
};

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_GRANT_HANDLER_H_
