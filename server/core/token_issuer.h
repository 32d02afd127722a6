#ifndef OAUTHD_SERVER_CORE_TOKEN_ISSUER_H_
#define OAUTHD_SERVER_CORE_TOKEN_ISSUER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/core/clock.h"
#include "server/core/config.h"
#include "server/jose/jwk.h"
#include "server/jose/key_set.h"
#include "server/jose/signing_key.h"

namespace oauthd {

class VerifiedTokenCache;

// Who a token is for and what it allows.
struct Authorization {
  std::string client_id;
  std::string subject;   // the resource owner, or the client id (RFC 9068 §2.2)
  std::string username;  // empty for client_credentials
  std::vector<std::string> scopes;
  std::vector<std::string> audiences;
  // The grant behind the token (docs/revocation.md), carried in the
  // `grant_id` claim; empty for client_credentials, whose tokens belong to
  // their client.
  std::string grant_id;
  // When the owner authorized the grant (unix ms); set with grant_id.
  int64_t granted_at_ms = 0;
};

struct MintedAccessToken {
  std::string token;
  std::string jti;
  int64_t issued_at = 0;   // unix seconds
  int64_t expires_at = 0;  // unix seconds
};

// The claims of an access token that verified (signature, issuer, typ,
// expiry).
struct AccessTokenInfo {
  std::string iss;
  std::string sub;
  std::vector<std::string> aud;
  int64_t exp = 0;
  int64_t iat = 0;
  int64_t nbf = 0;
  std::string jti;
  std::string client_id;
  std::string scope;
  std::string username;
  std::string grant_id;  // "" when the token names no grant
  // When the token was issued, in unix milliseconds: read from the jti
  // (see Mint), or iat * 1000 for a jti of another form.
  int64_t issued_at_ms = 0;
};

// Mints and verifies RFC 9068 JWT access tokens. All JOSE use of the server
// is behind this class. One key signs; all keys verify and are published, so
// a key can be introduced before it signs and kept after it stops (rotation
// without downtime). The keys can be replaced while serving (SetKeys; the
// schedule is signing_key_ring.h's). Thread-safe: Mint and Verify read the
// current keys through a per-thread copy and take no lock shared with other
// requests unless the keys changed since the thread last looked.
class TokenIssuer {
 public:
  // `keys` must not be empty; the first signs. Verify remembers up to
  // `verified_cache_capacity` tokens that verified (verified_token_cache.h;
  // 0: every call checks the signature).
  TokenIssuer(std::string issuer,
              std::vector<std::shared_ptr<const jose::SigningKey>> keys,
              Clock clock,
              size_t verified_cache_capacity = kDefaultVerifiedTokenCacheCapacity);
  ~TokenIssuer();

  // Mints a token living `ttl`. Its jti is a timed id (timed_id.h) of the
  // issue instant, so revocation can compare issue times finer than `iat`.
  absl::StatusOr<MintedAccessToken> Mint(const Authorization& authz,
                                         absl::Duration ttl) const;

  // The token's claims when it is an unexpired access token of this issuer
  // signed by one of our keys; nullopt for anything else (garbage, tampered,
  // alg none, unknown kid, foreign issuer, expired, not at+jwt).
  // `leeway` (>= 0) tolerates clock skew on exp, nbf and iat; Introspect uses
  // none, the API-gateway decision a little (its tokens come from elsewhere).
  // A token seen before skips the signature check but never the time
  // checks.
  std::optional<AccessTokenInfo> Verify(absl::string_view token,
                                        absl::Duration leeway = absl::ZeroDuration()) const;

  // Replaces the keys: `published` verify and are published (in this
  // order), `signer` (one of them) signs from now on. INVALID_ARGUMENT,
  // changing nothing, when `published` is empty, holds two keys with one
  // kid, or lacks `signer`. Tokens whose key is no longer published stop
  // verifying at once.
  absl::Status SetKeys(std::vector<std::shared_ptr<const jose::SigningKey>> published,
                       const std::shared_ptr<const jose::SigningKey>& signer);

  // Public keys for the JWKS document.
  std::vector<jose::Jwk> PublicKeys() const;
  // The kid of the key that signs now.
  std::string SigningKid() const;
  // The latest `exp` (unix seconds) of a token this process signed with
  // `kid`; 0 when it signed none.
  int64_t LatestExpiry(absl::string_view kid) const;
  const std::string& issuer() const { return issuer_; }
  // Algorithm names of the keys ("ES256", ...).
  std::vector<std::string> Algorithms() const;

 private:
  // One set of keys; immutable once published to readers.
  struct Epoch;
  // The current epoch, through the calling thread's cached copy. Valid until
  // this thread next calls Current() on any issuer.
  const Epoch& Current() const;
  absl::StatusOr<std::shared_ptr<const Epoch>> MakeEpoch(
      std::vector<std::shared_ptr<const jose::SigningKey>> published,
      const std::shared_ptr<const jose::SigningKey>& signer) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string issuer_;
  const Clock clock_;
  const uint64_t id_;  // tells this issuer's per-thread copies from others'
  std::unique_ptr<VerifiedTokenCache> verified_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const Epoch> epoch_ ABSL_GUARDED_BY(mu_);
  std::atomic<uint64_t> version_{0};  // bumped by every SetKeys
  // Latest exp signed per kid, kept across epochs.
  absl::flat_hash_map<std::string, std::shared_ptr<std::atomic<int64_t>>> latest_exp_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_TOKEN_ISSUER_H_
