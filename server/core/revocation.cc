#include "server/core/revocation.h"

#include <algorithm>

#include "server/core/timed_id.h"

namespace oauthd {
namespace {

// The longest lifetime a client may configure (client_admin.cc).
constexpr absl::Duration kMaxClientTtl = absl::Hours(24 * 366);

// An instant at or before the owner's revocation is revoked: a grant made in
// the very millisecond of the revocation cannot be told apart from one made
// just before it, so it goes too.
bool AtOrBefore(int64_t instant_ms, int64_t not_before_ms) {
  return not_before_ms > 0 && instant_ms <= not_before_ms;
}

}  // namespace

bool GrantPredatesOwnerRevocation(const storage::RevocationState& state,
                                  int64_t granted_at_ms) {
  return AtOrBefore(granted_at_ms, state.user_not_before_ms) ||
         AtOrBefore(granted_at_ms, state.client_not_before_ms);
}

bool IsRevoked(const storage::RevocationState& state, absl::string_view grant_id,
               int64_t issued_at_ms) {
  if (state.jti_revoked) return true;
  if (!grant_id.empty()) {
    // A token names its grant only after the grant record was written, and
    // the record outlives every token of it: no record means gone (expired
    // or lost), which fails closed.
    if (!state.grant_found || state.grant_revoked) return true;
    // From the id when the checker does not read records. A grant is never
    // younger than a token minted from it, so an id whose instant is later
    // (one made before ids carried the time) counts as "long ago": any owner
    // revocation then reaches it.
    int64_t granted_at_ms = state.granted_at_ms;
    if (granted_at_ms <= 0) {
      granted_at_ms = TimedIdInstantMs(grant_id).value_or(0);
      if (granted_at_ms > issued_at_ms) granted_at_ms = 0;
    }
    return GrantPredatesOwnerRevocation(state, granted_at_ms);
  }
  return AtOrBefore(issued_at_ms, state.client_not_before_ms);
}

absl::StatusOr<bool> AccessTokenRevoked(storage::RevocationChecker& checker,
                                        const AccessTokenInfo& token) {
  storage::RevocationQuery query;
  query.jti = token.jti;
  query.grant_id = token.grant_id;
  if (!token.grant_id.empty()) query.user_subject = token.sub;  // a user's grant
  query.client_id = token.client_id;
  absl::StatusOr<storage::RevocationState> state = checker.Check(query);
  if (!state.ok()) return state.status();
  return IsRevoked(*state, token.grant_id, token.issued_at_ms);
}

absl::StatusOr<bool> OwnersRevokedGrant(storage::RevocationChecker& checker,
                                        absl::string_view user_subject,
                                        absl::string_view client_id, int64_t granted_at_ms) {
  storage::RevocationQuery query;
  query.user_subject = std::string(user_subject);
  query.client_id = std::string(client_id);
  absl::StatusOr<storage::RevocationState> owners = checker.Check(query);
  if (!owners.ok()) return owners.status();
  return GrantPredatesOwnerRevocation(*owners, granted_at_ms);
}

absl::Duration OwnerRevocationTtl(const ServerConfig& config) {
  return std::max(config.refresh_family_ttl, kMaxClientTtl) +
         std::max(config.access_token_ttl, kMaxClientTtl) + absl::Hours(24);
}

absl::Status RevokeOwnerNow(storage::RevocationStore& store, const ServerConfig& config,
                            const Clock& clock, storage::Owner owner,
                            absl::string_view id) {
  return store.RevokeOwner(owner, id, absl::ToUnixMillis(clock()),
                           OwnerRevocationTtl(config));
}

}  // namespace oauthd
