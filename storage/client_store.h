#ifndef OAUTHD_STORAGE_CLIENT_STORE_H_
#define OAUTHD_STORAGE_CLIENT_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/records.pb.h"

namespace oauthd::storage {

// Registered clients. Records carry only the hash of a client secret.
//
// Errors (all stores): UNAVAILABLE when the backing store cannot be reached
// in time (retryable), INTERNAL for a record that cannot be decoded.
// Implementations are thread-safe.
class ClientStore {
 public:
  virtual ~ClientStore() = default;

  // Stores a new client. ALREADY_EXISTS when the client_id is taken.
  virtual absl::Status Create(const ClientRecord& record) = 0;
  // Replaces an existing client. NOT_FOUND when there is none.
  virtual absl::Status Update(const ClientRecord& record) = 0;
  // std::nullopt when the client does not exist.
  virtual absl::StatusOr<std::optional<ClientRecord>> Get(
      absl::string_view client_id) = 0;
  // NOT_FOUND when the client does not exist.
  virtual absl::Status Delete(absl::string_view client_id) = 0;
  // Up to `limit` clients whose id sorts strictly after `after`, in byte
  // order of client_id. Pass "" to start.
  virtual absl::StatusOr<std::vector<ClientRecord>> List(absl::string_view after,
                                                         int limit) = 0;
};

}  // namespace oauthd::storage

#endif  // OAUTHD_STORAGE_CLIENT_STORE_H_
