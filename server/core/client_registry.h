#ifndef OAUTHD_SERVER_CORE_CLIENT_REGISTRY_H_
#define OAUTHD_SERVER_CORE_CLIENT_REGISTRY_H_

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "oauth/v1/token.pb.h"
#include "server/core/client_assertion.h"
#include "server/core/clock.h"
#include "storage/client_store.h"

namespace oauthd {

// Looks up and authenticates clients (RFC 6749 §2.3), with a short-lived
// in-process cache so that a client_credentials token needs no storage round
// trip in the common case. Thread-safe.
//
// Cache: a record (or "no such client") read from the store is reused for
// `cache_ttl`. Past that it is read again; if the store answers UNAVAILABLE
// (Redis down, or failing over), the old entry is used until it is
// `cache_ttl + stale_if_error` old, and while one caller is reading a
// client again the others use the old entry without waiting (one read per
// client at a time). Only known clients are served stale: an id cached as
// unknown is read again, and is UNAVAILABLE while storage is. Security trade-off (docs/high-availability.md): a client
// deleted, disabled or given a new secret elsewhere keeps working on a
// replica that cannot reach Redis for up to cache_ttl + stale_if_error.
class ClientRegistry {
 public:
  // `assertions` verifies private_key_jwt assertions; null: they are
  // refused (invalid_client). It must outlive the registry.
  ClientRegistry(storage::ClientStore& store, absl::Duration cache_ttl, Clock clock,
                 const ClientAssertionVerifier* assertions = nullptr,
                 absl::Duration stale_if_error = absl::ZeroDuration());

  // The client record, from cache or store. invalid_client when unknown;
  // UNAVAILABLE when storage is down and no usable cached entry exists.
  // Records are shared and immutable.
  absl::StatusOr<std::shared_ptr<const storage::ClientRecord>> Get(
      absl::string_view client_id);

  // Authenticates the caller at `endpoint_path` (the HTTP path of the
  // endpoint: "/token", "/introspect", "/revoke"; it is an accepted "aud" of
  // client assertions). The registered token_endpoint_auth_method decides
  // (RFC 6749 §2.3, RFC 7591 §2, RFC 7523 §2.2):
  //  - client_secret_basic / client_secret_post: the secret (checked in
  //    constant time), sent the registered way when the gateway says how
  //    (client_secret_method) and the method is enforced for the client;
  //  - private_key_jwt: a client_assertion (ClientAssertionVerifier) and no
  //    secret; client_id may be omitted (the assertion's sub names the
  //    client) but must match when given;
  //  - none: no secret and no assertion.
  // Anything else is invalid_client; unknown ids and wrong secrets share one
  // generic description so callers cannot tell them apart. Malformed input
  // (oversized fields, a secret together with an assertion, an assertion
  // without its type or the reverse) is invalid_request.
  absl::StatusOr<std::shared_ptr<const storage::ClientRecord>> Authenticate(
      const oauth::v1::ClientAuthentication& auth, absl::string_view endpoint_path = "/token");

  // Drops a cached record after the admin service changed or deleted it.
  void Invalidate(absl::string_view client_id);

 private:
  struct Entry {
    std::shared_ptr<const storage::ClientRecord> record;  // null: known absent
    absl::Time expires;
    absl::Time stale_until;   // usable while the store is unavailable
    bool refreshing = false;  // a caller is reading it from the store
  };

  // The answer an entry gives: its record, or invalid_client.
  static absl::StatusOr<std::shared_ptr<const storage::ClientRecord>> Answer(
      const Entry& entry);

  storage::ClientStore& store_;
  const absl::Duration cache_ttl_;
  const absl::Duration stale_if_error_;
  const Clock clock_;
  const ClientAssertionVerifier* const assertions_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> cache_ ABSL_GUARDED_BY(mu_);
};

// True for a client that authenticates with private_key_jwt.
bool UsesPrivateKeyJwt(const oauth::admin::v1::Client& client);

// True for a public client (token_endpoint_auth_method "none").
bool IsPublicClient(const oauth::admin::v1::Client& client);

// True when the client may use `grant_type` ("client_credentials", ...).
bool ClientAllowsGrant(const oauth::admin::v1::Client& client,
                       absl::string_view grant_type);

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_CLIENT_REGISTRY_H_
