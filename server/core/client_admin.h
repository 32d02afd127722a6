#ifndef OAUTHD_SERVER_CORE_CLIENT_ADMIN_H_
#define OAUTHD_SERVER_CORE_CLIENT_ADMIN_H_

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "oauth/admin/v1/admin.pb.h"
#include "server/core/client_registry.h"
#include "server/core/clock.h"
#include "server/core/config.h"
#include "storage/store.h"

namespace oauthd {

// Client management behind oauth.admin.v1.AdminService. Validates every
// field (invalid_request naming the field), generates client ids and
// secrets, stores only the secret's hash, and drops the registry's cached
// copy after every change. Thread-safe.
//
// What changes do to existing tokens (docs/revocation.md): Delete revokes
// every grant and client_credentials token of the client first, so a client
// created again under the same id starts with nothing of the old one;
// RevokeGrants does the same without deleting. Narrowing allowed scopes or
// grant types takes effect at the next refresh (refresh_token_grant.h);
// access tokens already issued keep their scope until they expire.
class ClientAdmin {
 public:
  ClientAdmin(const ServerConfig& config, storage::Store& store, ClientRegistry& registry,
              Clock clock)
      : config_(config), store_(store.clients()), revocations_(store.revocations()),
        registry_(registry), clock_(std::move(clock)) {}

  absl::StatusOr<oauth::admin::v1::CreateClientResponse> Create(
      const oauth::admin::v1::CreateClientRequest& request);
  absl::StatusOr<oauth::admin::v1::Client> Get(absl::string_view client_id);
  absl::StatusOr<oauth::admin::v1::ListClientsResponse> List(
      const oauth::admin::v1::ListClientsRequest& request);
  absl::StatusOr<oauth::admin::v1::Client> Update(
      const oauth::admin::v1::UpdateClientRequest& request);
  absl::Status Delete(absl::string_view client_id);
  // NOT_FOUND for an unknown client.
  absl::Status RevokeGrants(absl::string_view client_id);
  // A new secret; the current one becomes the previous secret, accepted
  // (hashed, as stored) for `previous_secret_ttl_seconds`, or
  // config.previous_secret_ttl when unset; 0 ends it at once. One previous
  // secret at most: an older one ends. NOT_FOUND for an unknown client,
  // invalid_request for a public client or an overlap outside 0..366 days.
  // Other replicas see the new secret within client_cache_ttl; the previous
  // one's end is checked at each authentication, so no cache extends it.
  absl::StatusOr<oauth::admin::v1::CreateClientResponse> RotateSecret(
      absl::string_view client_id,
      std::optional<int64_t> previous_secret_ttl_seconds = std::nullopt);

 private:
  const ServerConfig& config_;
  storage::ClientStore& store_;
  storage::RevocationStore& revocations_;
  ClientRegistry& registry_;
  const Clock clock_;
};

// Checks a client definition; fills defaults (auth method, grant types).
// Exposed for tests.
absl::Status ValidateAndNormalizeClient(oauth::admin::v1::Client& client);

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_CLIENT_ADMIN_H_
