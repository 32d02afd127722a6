#ifndef OAUTHD_SERVER_CORE_TOKEN_INSPECTOR_H_
#define OAUTHD_SERVER_CORE_TOKEN_INSPECTOR_H_

#include "absl/status/statusor.h"
#include "oauth/v1/token.pb.h"
#include "server/core/clock.h"
#include "server/core/token_issuer.h"
#include "storage/records.pb.h"
#include "storage/refresh_token_store.h"
#include "storage/revocation_store.h"

namespace oauthd {

// Introspection (RFC 7662) and revocation (RFC 7009) of access and refresh
// tokens. The caller is already authenticated. Thread-safe.
class TokenInspector {
 public:
  // `checker` answers the revocation questions of access tokens (the store
  // itself, or an in-memory view of it); refresh tokens and owners are read
  // from the stores.
  TokenInspector(const TokenIssuer& issuer, storage::RefreshTokenStore& refresh_tokens,
                 storage::RevocationStore& revocations,
                 storage::RevocationChecker& checker, Clock clock)
      : issuer_(issuer), refresh_tokens_(refresh_tokens), revocations_(revocations),
        checker_(checker), clock_(std::move(clock)) {}

  // active=false (never an error) for anything that is not a live token of
  // ours, and for a token `caller` is not entitled to learn about (RFC 7662
  // §4): only the token's own client, a client named in its `aud`, or a
  // client with `introspect_any_token` set hear its details. A live access
  // token has passed every revocation check (revocation.h) in one store round
  // trip. Only storage failures are errors (temporarily_unavailable).
  // `token_type_hint` only changes the order in which types are tried.
  absl::StatusOr<oauth::v1::IntrospectResponse> Introspect(
      const storage::ClientRecord& caller, absl::string_view token,
      absl::string_view token_type_hint);

  // Revokes a refresh token's grant (so every access and refresh token of the
  // grant dies, RFC 7009 §2.1), or denylists an access token's jti for its
  // remaining lifetime. Unknown or already dead tokens: OK, nothing
  // changes. A token of another client: unauthorized_client, nothing changes.
  absl::Status Revoke(const storage::ClientRecord& caller, absl::string_view token,
                      absl::string_view token_type_hint);

 private:
  std::optional<oauth::v1::IntrospectResponse> InspectAccess(
      const storage::ClientRecord& caller, absl::string_view token, absl::Status* error);
  std::optional<oauth::v1::IntrospectResponse> InspectRefresh(
      const storage::ClientRecord& caller, absl::string_view token, absl::Status* error);

  const TokenIssuer& issuer_;
  storage::RefreshTokenStore& refresh_tokens_;
  storage::RevocationStore& revocations_;
  storage::RevocationChecker& checker_;
  const Clock clock_;
};

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_TOKEN_INSPECTOR_H_
