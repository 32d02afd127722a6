#ifndef OAUTHD_SERVER_CORE_VERIFIED_TOKEN_CACHE_H_
#define OAUTHD_SERVER_CORE_VERIFIED_TOKEN_CACHE_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/core/token_issuer.h"

namespace oauthd {

// Remembers access tokens whose signature and time-independent claims
// (typ, iss, required claims) have verified, so a token presented again —
// a service calls with the same token for its whole lifetime — skips the
// signature check (an ES256 verify costs ~80 us of CPU; a hit ~1 us).
//
// What a hit does not skip: the time claims (exp, nbf, iat) are checked
// again against `now` and the caller's leeway on every lookup, and nothing
// here knows about revocation, which callers check on every request.
// Only tokens that verified are stored, so garbage cannot fill the cache.
//
// Bounded: at most `capacity` entries (each about the token's length plus
// its claims, ~1 KiB for a typical token). A full shard first drops
// expired entries, then an arbitrary one. Capacity 0 turns caching off.
//
// The verdict depends on the verification keys: whoever changes the key
// set must call Clear(). Thread-safe; lookups of different tokens mostly
// take different locks (the map is sharded).
class VerifiedTokenCache {
 public:
  explicit VerifiedTokenCache(size_t capacity);
  ~VerifiedTokenCache();

  // The claims stored for `token` when they are still valid at `now` with
  // `leeway` (>= 0) on exp, nbf and iat; nullopt on a miss or when the
  // token's time has passed (the entry is then dropped).
  std::optional<AccessTokenInfo> Find(absl::string_view token, absl::Time now,
                                      absl::Duration leeway) const;

  // Stores the claims of a token that has just verified; `now` decides
  // which entries have expired when the shard is full.
  void Insert(absl::string_view token, const AccessTokenInfo& info, absl::Time now) const;

  void Clear() const;
  size_t capacity() const { return capacity_; }

 private:
  struct Shard;
  Shard& ShardFor(absl::string_view token) const;

  const size_t capacity_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

// True when a verified token's time claims hold at `now` with `leeway`:
// now < exp + leeway, nbf <= now + leeway, iat <= now + leeway (RFC 7519
// §4.1.4-4.1.6, the same rule jose::ValidateAccessTokenClaims applies).
bool TimeClaimsHold(const AccessTokenInfo& info, absl::Time now, absl::Duration leeway);

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_VERIFIED_TOKEN_CACHE_H_
