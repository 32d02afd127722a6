#ifndef OAUTHD_SERVER_CORE_REFRESH_TOKEN_FORMAT_H_
#define OAUTHD_SERVER_CORE_REFRESH_TOKEN_FORMAT_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace oauthd {

// Refresh tokens are "<family>.<secret>": a 128-bit family id and 256 random
// bits, both base64url. The family id in the clear lets storage keep all of a
// family's keys in one Redis Cluster slot and find the family marker in the
// same round trip; only the secret part makes the token unguessable.

struct ParsedRefreshToken {
  std::string family_id;  // 22 characters
};

// A new grant id: a timed id (timed_id.h) of the instant the owner
// authorized the grant, so it never starts with '-' and the grant's instant
// can be read from it. A grant's refresh tokens form one family named by it.
std::string NewGrantId(int64_t granted_at_ms);

// A new token of `family_id`.
std::string NewRefreshToken(absl::string_view family_id);

// The family of a well-formed token, nullopt for anything else.
std::optional<ParsedRefreshToken> ParseRefreshToken(absl::string_view token);

// Grace-window support (RFC 9700 §4.14.2): the successor token sealed with a
// key derived from the presented (old) token, so that only its holder can
// recover the successor from storage, and a store dump reveals nothing.
std::string SealSuccessor(absl::string_view old_token, absl::string_view successor);
// nullopt when `sealed` was not sealed with `old_token` or is corrupt.
std::optional<std::string> OpenSuccessor(absl::string_view old_token,
                                         absl::string_view sealed);

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_REFRESH_TOKEN_FORMAT_H_
