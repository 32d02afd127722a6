#ifndef OAUTHD_SERVER_CORE_DEVICE_CODE_GRANT_H_
#define OAUTHD_SERVER_CORE_DEVICE_CODE_GRANT_H_

#include "server/core/clock.h"
#include "server/core/device_authorization.h"
#include "server/core/grant_handler.h"
#include "server/core/token_response_factory.h"
#include "storage/device_store.h"
#include "storage/revocation_store.h"

namespace oauthd {

// Device authorization grant, token request (RFC 8628 §3.4-3.5). Each poll
// is one atomic store operation (storage::DeviceStore::Poll). Errors:
//   authorization_pending  the owner has not decided yet;
//   slow_down              polled sooner than the interval, which grows by
//                          5 s for this device code;
//   access_denied          the owner denied;
//   expired_token          the device code's lifetime is over;
//   invalid_grant          unknown device code, another client's, one that
//                          already gave tokens (single use), or an approval
//                          whose owner or client was revoked since;
//   invalid_request        no device_code, or a resource parameter (the
//                          audience was fixed at the device request).
// An approval starts a grant like the code flow: its id was chosen at
// approval, with a refresh token when the client may refresh.
class DeviceCodeGrant final : public GrantHandler {
 public:
  DeviceCodeGrant(const TokenResponseFactory& tokens, storage::DeviceStore& devices,
                  storage::RevocationStore& revocations, Clock clock)
      : tokens_(tokens), devices_(devices), revocations_(revocations),
        clock_(std::move(clock)) {}

  absl::string_view grant_type() const override { return kDeviceCodeGrantType; }
  oauth::v1::IssueTokenRequest::GrantCase grant_case() const override {
    return oauth::v1::IssueTokenRequest::kDeviceCode;
  }
  absl::StatusOr<oauth::v1::TokenResponse> Handle(const oauth::v1::IssueTokenRequest& request,
                                                  const storage::ClientRecord& client,
                                                  const RequestContext& context) override;

 private:
  const TokenResponseFactory& tokens_;
  storage::DeviceStore& devices_;
  storage::RevocationStore& revocations_;
  const Clock clock_;
};

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_DEVICE_CODE_GRANT_H_
