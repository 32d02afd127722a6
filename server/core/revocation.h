#ifndef OAUTHD_SERVER_CORE_REVOCATION_H_
#define OAUTHD_SERVER_CORE_REVOCATION_H_

// The revocation rule (docs/revocation.md): a token is dead when
//   - its jti is denylisted (RFC 7009 revocation of that access token), or
//   - it names a grant that is revoked or gone (refresh token revoked, refresh
//     reuse, code replay, admin "revoke grant"), or
//   - the grant was authorized before its user's or its client's "not
//     before" instant (user disabled, deleted or given a new password; client
//     deleted; admin "revoke all grants"), or
//   - it names no grant (client_credentials) and was issued before its
//     client's "not before" instant.
// Instants are compared in milliseconds (a grant or token from the very
// millisecond of the revocation is revoked too), so an owner revoked and
// re-enabled within one second still gets working tokens from a new login.

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/core/clock.h"
#include "server/core/config.h"
#include "server/core/token_issuer.h"
#include "storage/revocation_store.h"

namespace oauthd {

// True when a token with these properties must be treated as revoked.
// `grant_id`: the grant the token names, "" for none (then `state` must come
// from a query that asked for it). `issued_at_ms`: when the token itself was
// issued (unix ms): compared with the client's instant for tokens without a
// grant, and bounding the grant's instant read from its id.
bool IsRevoked(const storage::RevocationState& state, absl::string_view grant_id,
               int64_t issued_at_ms);

// Asks `checker` about a verified access token (jti, grant, user, client)
// and applies IsRevoked. Errors: the checker's (UNAVAILABLE).
absl::StatusOr<bool> AccessTokenRevoked(storage::RevocationChecker& checker,
                                        const AccessTokenInfo& token);

// True when a grant authorized at `granted_at_ms` is older than an owner's
// not-before instant in `state`.
bool GrantPredatesOwnerRevocation(const storage::RevocationState& state,
                                  int64_t granted_at_ms);

// Reads the user's and the client's not-before instants from `checker` (one
// store round trip, or none from the in-memory revocation view) and tells
// whether a grant authorized at `granted_at_ms` predates either. Errors: the
// checker's (UNAVAILABLE; the view's when it is stale).
absl::StatusOr<bool> OwnersRevokedGrant(storage::RevocationChecker& checker,
                                        absl::string_view user_subject,
                                        absl::string_view client_id, int64_t granted_at_ms);

// How long an owner's not-before instant is kept: longer than any grant or
// token issued before it can live (the longest refresh family plus the
// longest access token, per-client settings included).
absl::Duration OwnerRevocationTtl(const ServerConfig& config);

// Revokes everything `owner` (a user's subject or a client id) authorized or
// obtained up to now. Errors: the store's (UNAVAILABLE). Thread-safe.
absl::Status RevokeOwnerNow(storage::RevocationStore& store, const ServerConfig& config,
                            const Clock& clock, storage::Owner owner,
                            absl::string_view id);

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_REVOCATION_H_
