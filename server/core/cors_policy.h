#ifndef OAUTHD_SERVER_CORE_CORS_POLICY_H_
#define OAUTHD_SERVER_CORE_CORS_POLICY_H_

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/core/client_registry.h"
#include "server/core/clock.h"
#include "storage/client_store.h"

namespace oauthd {

// Which browser origins may call the token and revocation endpoints
// (Fetch standard CORS), from the clients' allowed_cors_origins.
// Thread-safe.
//
// A CORS preflight (OPTIONS) carries no client id, so it is answered for an
// origin that any client lists; the actual request then gets
// Access-Control-Allow-Origin only when its own client lists the origin. A
// preflight admitted on another client's behalf lets the browser send a
// POST whose response the page still cannot read — and a form-encoded POST
// without an Authorization header needs no preflight at all.
class CorsPolicy {
 public:
  // `registry` answers per-client questions (its cache applies); `store` is
  // listed to build the set of every registered origin, rebuilt when older
  // than `index_ttl`. Both must outlive the policy.
  CorsPolicy(ClientRegistry& registry, storage::ClientStore& store, absl::Duration index_ttl,
             Clock clock);

  // True when `origin` (the Origin header, compared byte for byte) is listed
  // by the client `client_id`, or, for an empty `client_id`, by any client.
  // False for an unknown client or an empty or oversized origin.
  // UNAVAILABLE when storage cannot be reached.
  absl::StatusOr<bool> Allowed(absl::string_view origin, absl::string_view client_id);

 private:
  // Every origin some client lists, at most index_ttl_ old.
  absl::StatusOr<bool> AnyClientAllows(absl::string_view origin);

  ClientRegistry& registry_;
  storage::ClientStore& store_;
  const absl::Duration index_ttl_;
  const Clock clock_;
  absl::Mutex mu_;
  absl::flat_hash_set<std::string> origins_ ABSL_GUARDED_BY(mu_);
  absl::Time built_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_CORS_POLICY_H_
