#ifndef OAUTHD_STORAGE_USER_STORE_H_
#define OAUTHD_STORAGE_USER_STORE_H_

#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/records.pb.h"

namespace oauthd::storage {

// Resource owners, keyed by username. Same error contract as ClientStore.
class UserStore {
 public:
  virtual ~UserStore() = default;

  // ALREADY_EXISTS when the username is taken.
  virtual absl::Status Create(const UserRecord& record) = 0;
  // NOT_FOUND when there is no such user.
  virtual absl::Status Update(const UserRecord& record) = 0;
  virtual absl::StatusOr<std::optional<UserRecord>> Get(
      absl::string_view username) = 0;
  // NOT_FOUND when there is no such user.
  virtual absl::Status Delete(absl::string_view username) = 0;
  // Up to `limit` users whose username sorts strictly after `after`.
  virtual absl::StatusOr<std::vector<UserRecord>> List(absl::string_view after,
                                                       int limit) = 0;
};

}  // namespace oauthd::storage

#endif  // OAUTHD_STORAGE_USER_STORE_H_
