#ifndef OAUTHD_SERVER_CORE_OWNER_REVOCATION_CHECKER_H_
#define OAUTHD_SERVER_CORE_OWNER_REVOCATION_CHECKER_H_

#include "absl/status/statusor.h"
#include "storage/revocation_store.h"

namespace oauthd {

// Where refresh and code redemption read the owners' not-before instants
// (docs/revocation.md): the in-memory revocation view, which costs no Redis
// round trip, and the store when the view cannot answer (UNAVAILABLE: stale,
// e.g. while a Sentinel failover moves the primary). Those grants write to
// Redis anyway and wait for a new primary there, so falling back keeps them
// working through a failover where failing closed would end the client's
// session (its retry of an already rotated token reads as reuse).
// `view` null: always the store. Both must outlive it. Thread-safe.
class OwnerRevocationChecker final : public storage::RevocationChecker {
 public:
  OwnerRevocationChecker(storage::RevocationChecker* view, storage::RevocationChecker& store)
      : view_(view), store_(store) {}

  // Errors: the store's (UNAVAILABLE) when the view could not answer.
  absl::StatusOr<storage::RevocationState> Check(const storage::RevocationQuery& query) override {
    if (view_ != nullptr) {
      absl::StatusOr<storage::RevocationState> state = view_->Check(query);
      if (state.ok() || !absl::IsUnavailable(state.status())) return state;
    }
    return store_.Check(query);
  }

 private:
  storage::RevocationChecker* const view_;
  storage::RevocationChecker& store_;
};

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_OWNER_REVOCATION_CHECKER_H_
