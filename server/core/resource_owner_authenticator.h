#ifndef OAUTHD_SERVER_CORE_RESOURCE_OWNER_AUTHENTICATOR_H_
#define OAUTHD_SERVER_CORE_RESOURCE_OWNER_AUTHENTICATOR_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/core/config.h"
#include "storage/counter_store.h"
#include "storage/records.pb.h"
#include "storage/user_store.h"

namespace oauthd {

// Checks a resource owner's username and password for the password grant and
// the login page, with brute-force protection (failure counters per username
// and per client in the counter store). Thread-safe.
class ResourceOwnerAuthenticator {
 public:
  ResourceOwnerAuthenticator(const ServerConfig& config, storage::UserStore& users,
                             storage::CounterStore& counters);

  // The user on success. Unknown user, disabled user and wrong password all
  // give invalid_grant with one description and the same cost (an unknown
  // user is checked against a dummy hash). Past the failure limits the
  // password is not checked at all (invalid_grant, "too many failed
  // attempts"). A failure counts against the username and `client_id`; a
  // success resets the username's counter. Empty or oversized fields:
  // invalid_request.
  absl::StatusOr<storage::UserRecord> Authenticate(absl::string_view client_id,
                                                   absl::string_view username,
                                                   absl::string_view password);

 private:
  const ServerConfig& config_;
  storage::UserStore& users_;
  storage::CounterStore& counters_;
};

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_RESOURCE_OWNER_AUTHENTICATOR_H_
