#ifndef OAUTHD_STORAGE_REPLAY_STORE_H_
#define OAUTHD_STORAGE_REPLAY_STORE_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace oauthd::storage {

// Remembers values that may be used only once for a while: the `jti` of
// client assertions (RFC 7523 §3 item 7), kept until the assertion expires.
// Thread-safe; MarkUsed is atomic across every oauthd sharing the backend.
class ReplayStore {
 public:
  virtual ~ReplayStore() = default;

  // Records `key` as used for `ttl` (whole milliseconds, truncated).
  // Returns true when it was not recorded yet (first use), false when it is
  // (a replay; the existing record and its expiry are left alone).
  // InvalidArgument for an empty key or a ttl below 1 ms; UNAVAILABLE when
  // the backend cannot be reached.
  virtual absl::StatusOr<bool> MarkUsed(absl::string_view key, absl::Duration ttl) = 0;
};

}  // namespace oauthd::storage

#endif  // OAUTHD_STORAGE_REPLAY_STORE_H_
