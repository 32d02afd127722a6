#ifndef OAUTHD_SERVER_CORE_USER_ADMIN_H_
#define OAUTHD_SERVER_CORE_USER_ADMIN_H_

#include "absl/status/statusor.h"
#include "oauth/admin/v1/admin.pb.h"
#include "server/core/clock.h"
#include "server/core/config.h"
#include "server/core/login_throttle.h"
#include "storage/store.h"

namespace oauthd {

// Resource-owner management behind oauth.admin.v1.AdminService. Passwords
// are hashed with scrypt (password_hash.h); each user gets a random, stable
// subject id that is not the username (subject.h). Thread-safe.
//
// What changes do to existing tokens (docs/revocation.md): disabling,
// deleting or setting a new password revokes every grant of the user (all
// refresh tokens, all access tokens, unredeemed codes); re-enabling does not
// bring them back, a new login works. RevokeGrants does the same without
// changing the user ("sign out everywhere").
class UserAdmin {
 public:
  UserAdmin(const ServerConfig& config, storage::Store& store, Clock clock)
      : config_(config), store_(store.users()), revocations_(store.revocations()),
        grants_(store.refresh_tokens()), throttle_(config, store.counters()),
        clock_(std::move(clock)) {}

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
  // Clears the user's login limits (login_throttle.h); NotFound for an
  // unknown user. Returns the user with its (now clear) throttle state.
  absl::StatusOr<oauth::admin::v1::User> Unlock(absl::string_view username);

  // The user's live grants. NOT_FOUND for an unknown user.
  absl::StatusOr<oauth::admin::v1::ListUserGrantsResponse> ListGrants(
      const oauth::admin::v1::ListUserGrantsRequest& request);
  // Revokes every grant of the user. NOT_FOUND for an unknown user.
  absl::Status RevokeGrants(absl::string_view username);
  // Revokes one grant; an unknown id succeeds. invalid_request for an id that
  // cannot be one.
  absl::Status RevokeGrant(absl::string_view grant_id);

 private:
  absl::Status RevokeAll(const storage::UserRecord& record);

  absl::StatusOr<storage::UserRecord> Load(absl::string_view username);

  const ServerConfig& config_;
  storage::UserStore& store_;
  storage::RevocationStore& revocations_;
  storage::RefreshTokenStore& grants_;
  LoginThrottle throttle_;  // stateless: the counters live in the store
  const Clock clock_;
};

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_USER_ADMIN_H_
