#ifndef OAUTHD_STORAGE_REVOCATION_STORE_H_
#define OAUTHD_STORAGE_REVOCATION_STORE_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace oauthd::storage {

// Denylist of revoked JWT access tokens by `jti`. An entry lives as long as
// the token would have (there is no point remembering it longer).
class RevocationStore {
 public:
  virtual ~RevocationStore() = default;

  // Denylists `jti` for `ttl` (> 0). Revoking twice is fine.
  virtual absl::Status Revoke(absl::string_view jti, absl::Duration ttl) = 0;
  virtual absl::StatusOr<bool> IsRevoked(absl::string_view jti) = 0;
};

}  // namespace oauthd::storage

#endif  // OAUTHD_STORAGE_REVOCATION_STORE_H_
