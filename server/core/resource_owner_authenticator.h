#ifndef OAUTHD_SERVER_CORE_RESOURCE_OWNER_AUTHENTICATOR_H_
#define OAUTHD_SERVER_CORE_RESOURCE_OWNER_AUTHENTICATOR_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/core/audit_log.h"
#include "server/core/config.h"
#include "server/core/login_throttle.h"
#include "server/core/request_context.h"
#include "storage/counter_store.h"
#include "storage/records.pb.h"
#include "storage/user_store.h"

namespace oauthd {

// Checks a resource owner's username and password for the password grant and
// the login page, with brute-force protection (login_throttle.h) and an
// audit event for each attempt (login.success, login.failure,
// login.throttled). Thread-safe.
class ResourceOwnerAuthenticator {
 public:
  ResourceOwnerAuthenticator(const ServerConfig& config, storage::UserStore& users,
                             storage::CounterStore& counters, AuditLog& audit);

  // The user on success. Unknown user, disabled user and wrong password all
  // give invalid_grant with one description and the same cost (an unknown
  // user is checked against a dummy hash). Every attempt is counted first
  // against the source address, the username, and the username from that
  // address; past a limit the password is not checked at all
  // (invalid_grant, "too many attempts"), for known and unknown usernames
  // alike. Empty or oversized fields: invalid_request (not counted).
  absl::StatusOr<storage::UserRecord> Authenticate(absl::string_view client_id,
                                                   absl::string_view username,
                                                   absl::string_view password,
                                                   const RequestContext& context);

  LoginThrottle& throttle() { return throttle_; }

 private:
  const ServerConfig& config_;
  storage::UserStore& users_;
  LoginThrottle throttle_;
  AuditLog& audit_;
};

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_RESOURCE_OWNER_AUTHENTICATOR_H_
