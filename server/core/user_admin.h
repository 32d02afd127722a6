#ifndef OAUTHD_SERVER_CORE_USER_ADMIN_H_
#define OAUTHD_SERVER_CORE_USER_ADMIN_H_

#include "absl/status/statusor.h"
#include "oauth/admin/v1/admin.pb.h"
#include "server/core/clock.h"
#include "server/core/config.h"
#include "storage/user_store.h"

namespace oauthd {

// Resource-owner management behind oauth.admin.v1.AdminService. Passwords
// are hashed with scrypt (password_hash.h); each user gets a random, stable
// subject id that is not the username. Thread-safe.
class UserAdmin {
 public:
  UserAdmin(const ServerConfig& config, storage::UserStore& store, Clock clock)
      : config_(config), store_(store), clock_(std::move(clock)) {}

  // Username: 1-256 bytes, no control characters or spaces at either end.
  // Password: 8-1024 bytes. ALREADY_EXISTS for a taken username.
  absl::StatusOr<oauth::admin::v1::User> Create(absl::string_view username,
                                                absl::string_view password);
  absl::StatusOr<oauth::admin::v1::User> Get(absl::string_view username);
  absl::StatusOr<oauth::admin::v1::ListUsersResponse> List(
      const oauth::admin::v1::ListUsersRequest& request);
  absl::StatusOr<oauth::admin::v1::User> SetDisabled(absl::string_view username,
                                                     bool disabled);
  absl::StatusOr<oauth::admin::v1::User> SetPassword(absl::string_view username,
                                                     absl::string_view password);
  absl::Status Delete(absl::string_view username);

 private:
  absl::StatusOr<storage::UserRecord> Load(absl::string_view username);

  const ServerConfig& config_;
  storage::UserStore& store_;
  const Clock clock_;
};

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_USER_ADMIN_H_
