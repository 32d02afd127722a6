#ifndef OAUTHD_SERVER_CORE_CLIENT_REGISTRY_H_
#define OAUTHD_SERVER_CORE_CLIENT_REGISTRY_H_

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "oauth/v1/token.pb.h"
#include "server/core/clock.h"
#include "storage/client_store.h"

namespace oauthd {

// Looks up and authenticates clients (RFC 6749 §2.3), with a short-lived
// in-process cache so that a client_credentials token needs no storage round
// trip in the common case. Thread-safe.
class ClientRegistry {
 public:
  ClientRegistry(storage::ClientStore& store, absl::Duration cache_ttl, Clock clock);

  // The client record, from cache or store. invalid_client when unknown;
  // UNAVAILABLE when storage is down. Records are shared and immutable.
  absl::StatusOr<std::shared_ptr<const storage::ClientRecord>> Get(
      absl::string_view client_id);

  // Authenticates the caller. Confidential clients must present their secret
  // (checked in constant time); public clients (auth method "none") must not
  // present one. Everything else: invalid_client with one generic
  // description, so callers cannot tell unknown ids from wrong secrets.
  // Malformed input (oversized fields, client_assertion) is invalid_request.
  absl::StatusOr<std::shared_ptr<const storage::ClientRecord>> Authenticate(
      const oauth::v1::ClientAuthentication& auth);

  // Drops a cached record after the admin service changed or deleted it.
  void Invalidate(absl::string_view client_id);

 private:
  struct Entry {
    std::shared_ptr<const storage::ClientRecord> record;  // null: known absent
    absl::Time expires;
  };

  storage::ClientStore& store_;
  const absl::Duration cache_ttl_;
  const Clock clock_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> cache_ ABSL_GUARDED_BY(mu_);
};

// True for a public client (token_endpoint_auth_method "none").
bool IsPublicClient(const oauth::admin::v1::Client& client);

// True when the client may use `grant_type` ("client_credentials", ...).
bool ClientAllowsGrant(const oauth::admin::v1::Client& client,
                       absl::string_view grant_type);

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_CLIENT_REGISTRY_H_
