#ifndef OAUTHD_SERVER_CORE_CONFIG_H_
#define OAUTHD_SERVER_CORE_CONFIG_H_

#include <string>

#include "absl/time/time.h"
#include "server/core/password_hash.h"

namespace oauthd {

// Server-wide OAuth settings, built once from flags and then immutable.
// Per-client values (Client.access_token_ttl_seconds, ...) override the
// token lifetimes when set.
struct ServerConfig {
  // `iss` of every token and the RFC 9207 `iss` of authorization responses.
  std::string issuer = "http://127.0.0.1:8080";

  absl::Duration access_token_ttl = absl::Minutes(10);
  absl::Duration refresh_token_ttl = absl::Hours(24 * 14);
  // Absolute lifetime of a refresh-token family, however often it rotates.
  absl::Duration refresh_family_ttl = absl::Hours(24 * 30);
  // A client that lost a rotation's answer (a 503 from a Redis failover
  // after the rotation was made) may present the old refresh token again
  // this long after the rotation and gets the same successor, as long as
  // that successor was never exchanged (refresh_token_store.h). Zero: any
  // second presentation is reuse and revokes the grant (RFC 9700 §4.14.2).
  absl::Duration refresh_retry_grace = absl::Seconds(10);
  // Authorization codes live this long (RFC 6749 §4.1.2: at most 10 minutes).
  absl::Duration code_ttl = absl::Seconds(60);

  // How long a client record is reused from the in-process cache. A deleted
  // client or rotated secret stays usable on other replicas for at most this
  // long; the replica that made the change drops its entry at once.
  absl::Duration client_cache_ttl = absl::Seconds(5);
  // While storage is unavailable (UNAVAILABLE: Redis down or failing over),
  // a cached record older than `client_cache_ttl` is still used until it is
  // this much older (stale-if-error), so client_credentials keeps working
  // through an outage. The price: a client deleted, disabled or given a new
  // secret on another replica shortly before or during the outage keeps
  // working here for up to client_cache_ttl + this long. Zero: fail instead.
  absl::Duration client_cache_stale_if_error = absl::Minutes(5);

  // After RotateClientSecret, the previous secret keeps working this long
  // unless the call names its own overlap (client_admin.h).
  absl::Duration previous_secret_ttl = absl::Hours(1);

  // Brute-force protection for the password grant and the login page
  // (login_throttle.h): attempts per username from one source address, per
  // username from all addresses, and per address, within `failure_window`.
  // Past a limit the password is not checked (invalid_grant, "too many
  // attempts") until the window ends or an operator unlocks the user.
  int user_failure_limit = 5;
  int user_total_failure_limit = 100;
  int address_failure_limit = 100;
  absl::Duration failure_window = absl::Minutes(15);

  ScryptParams password_hashing;

  // Device authorization grant (RFC 8628): how long a device code and its
  // user code work, the polling interval handed out (§3.2), and how many
  // user codes one source address may try on the verification page per
  // `failure_window` (§5.1: guessing must be limited).
  absl::Duration device_code_ttl = absl::Minutes(10);
  absl::Duration device_poll_interval = absl::Seconds(5);
  int device_user_code_attempts = 20;
  // Where users enter the code (the gateway's /device); empty: issuer +
  // "/device".
  std::string device_verification_uri;

  // The resource owner password credentials grant (RFC 6749 §4.3), for
  // confidential clients only; off: refused as unsupported_grant_type and
  // left out of the metadata (RFC 9700 §2.4 says it must not be used).
  bool password_grant = true;
};

// Upper bounds on request fields, enforced with invalid_request.
inline constexpr size_t kMaxClientIdLength = 128;
inline constexpr size_t kMaxSecretLength = 256;
inline constexpr size_t kMaxTokenLength = 8192;
inline constexpr size_t kMaxUsernameLength = 256;
inline constexpr size_t kMaxPasswordLength = 1024;
inline constexpr size_t kMaxStateLength = 1024;
inline constexpr size_t kMaxUriLength = 2048;
inline constexpr size_t kMaxResources = 10;

// The most clock skew any verifier of ours tolerates on `exp`
// (--authz_clock_leeway is capped at this). Revocation state is kept this
// much longer than the token it concerns, so a revoked token is never
// accepted in the leeway after its expiry.
inline constexpr absl::Duration kMaxClockLeeway = absl::Minutes(5);

// Access tokens whose signature verified, remembered per process
// (verified_token_cache.h); ~1 KiB each.
inline constexpr size_t kDefaultVerifiedTokenCacheCapacity = 10000;

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_CONFIG_H_
