#ifndef OAUTHD_SERVER_CORE_CLIENT_ADMIN_H_
#define OAUTHD_SERVER_CORE_CLIENT_ADMIN_H_

#include "absl/status/statusor.h"
#include "oauth/admin/v1/admin.pb.h"
#include "server/core/client_registry.h"
#include "server/core/clock.h"
#include "storage/client_store.h"

namespace oauthd {

// Client management behind oauth.admin.v1.AdminService. Validates every
// field (invalid_request naming the field), generates client ids and
// secrets, stores only the secret's hash, and drops the registry's cached
// copy after every change. Thread-safe.
class ClientAdmin {
 public:
  ClientAdmin(storage::ClientStore& store, ClientRegistry& registry, Clock clock)
      : store_(store), registry_(registry), clock_(std::move(clock)) {}

  absl::StatusOr<oauth::admin::v1::CreateClientResponse> Create(
      const oauth::admin::v1::CreateClientRequest& request);
  absl::StatusOr<oauth::admin::v1::Client> Get(absl::string_view client_id);
  absl::StatusOr<oauth::admin::v1::ListClientsResponse> List(
      const oauth::admin::v1::ListClientsRequest& request);
  absl::StatusOr<oauth::admin::v1::Client> Update(
      const oauth::admin::v1::UpdateClientRequest& request);
  absl::Status Delete(absl::string_view client_id);
  absl::StatusOr<oauth::admin::v1::CreateClientResponse> RotateSecret(
      absl::string_view client_id);

 private:
  storage::ClientStore& store_;
  ClientRegistry& registry_;
  const Clock clock_;
};

// Checks a client definition; fills defaults (auth method, grant types).
// Exposed for tests.
absl::Status ValidateAndNormalizeClient(oauth::admin::v1::Client& client);

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_CLIENT_ADMIN_H_
