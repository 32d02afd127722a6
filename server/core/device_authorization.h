#ifndef OAUTHD_SERVER_CORE_DEVICE_AUTHORIZATION_H_
#define OAUTHD_SERVER_CORE_DEVICE_AUTHORIZATION_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "oauth/v1/device.pb.h"
#include "server/core/audit_log.h"
#include "server/core/client_registry.h"
#include "server/core/clock.h"
#include "server/core/config.h"
#include "server/core/request_context.h"
#include "server/core/resource_owner_authenticator.h"
#include "storage/counter_store.h"
#include "storage/device_store.h"

namespace oauthd {

// The grant_type of RFC 8628 §3.4, also the value in a client's grant_types.
inline constexpr absl::string_view kDeviceCodeGrantType =
    "urn:ietf:params:oauth:grant-type:device_code";

// The device authorization endpoint (RFC 8628 §3.1-3.2) and the decisions
// of the verification page (§3.3). The token request is DeviceCodeGrant.
//
// Device codes are 256 random bits; user codes are user_code.h's. Both are
// stored only as SHA-256 hashes, for `device_code_ttl` plus a margin so that
// a late poll hears expired_token. Thread-safe.
class DeviceAuthorizationEndpoint {
 public:
  // Everything passed in must outlive the endpoint.
  DeviceAuthorizationEndpoint(const ServerConfig& config, ClientRegistry& clients,
                              ResourceOwnerAuthenticator& owners,
                              storage::DeviceStore& devices, storage::CounterStore& counters,
                              AuditLog& audit, Clock clock);

  // RFC 8628 §3.2. Errors: the client's authentication errors
  // (invalid_client, invalid_request), unauthorized_client without the
  // device_code grant type, invalid_scope, invalid_target, storage errors.
  absl::StatusOr<oauth::v1::DeviceAuthorizeResponse> Authorize(
      const oauth::v1::DeviceAuthorizeRequest& request);

  // See oauth.v1.DeviceService.VerifyDevice. Every call counts one attempt
  // against the source address before the code is looked up; a code that
  // names a pending request takes the attempt back, so only wrong codes use
  // up --device_user_code_attempts.
  absl::StatusOr<oauth::v1::VerifyDeviceResponse> Verify(
      const oauth::v1::VerifyDeviceRequest& request, const RequestContext& context);

 private:
  const ServerConfig& config_;
  ClientRegistry& clients_;
  ResourceOwnerAuthenticator& owners_;
  storage::DeviceStore& devices_;
  storage::CounterStore& counters_;
  AuditLog& audit_;
  const Clock clock_;
};

// How much longer than its lifetime a device code's record is kept, so a
// poll after expiry is answered expired_token instead of invalid_grant.
inline constexpr absl::Duration kExpiredDeviceCodeMemory = absl::Minutes(10);

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_DEVICE_AUTHORIZATION_H_
