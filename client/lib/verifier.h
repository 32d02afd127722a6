#ifndef OAUTHD_CLIENT_LIB_VERIFIER_H_
#define OAUTHD_CLIENT_LIB_VERIFIER_H_

// Verifier: checks oauthd access tokens (RFC 9068 JWTs) in the resource
// server, locally against the published JWK Set, and optionally online
// against Introspect for revocation.
//
// Example:
//   VerifierOptions options;
//   options.issuer = "https://auth.example.com";    // oauthd --issuer
//   options.audience = "https://inventory.example.com";
//   absl::StatusOr<std::shared_ptr<Verifier>> verifier =
//       Verifier::Create(NewGrpcAuthorizationServer(channel), std::move(options));
//   ...
//   VerifyResult result = (*verifier)->Verify(token, {"inventory.read"});
//   if (!result.ok()) return ToGrpcStatus(result.error());   // grpc_auth.h
//   Log(result->subject, result->client_id);

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "client/lib/authorization_server.h"
#include "client/lib/clock.h"

namespace oauthd::jose {
class KeySet;
}  // namespace oauthd::jose

namespace oauthd::client {

// The claims of a verified access token (RFC 9068 §2.2), typed.
struct AccessToken {
  std::string issuer;                 // iss
  std::string subject;                // sub: the user, or the client itself
  std::vector<std::string> audience;  // aud
  std::string client_id;              // client_id: the client the token was issued to
  std::vector<std::string> scopes;    // scope, split on spaces
  std::string token_id;               // jti
  std::string username;               // username (password and code grants), or empty
  std::string grant_id;               // grant_id: the grant behind a user's token, or empty
  absl::Time expires_at;              // exp
  absl::Time issued_at;               // iat
  std::optional<absl::Time> not_before;  // nbf

  // True if `scope` is one of `scopes` (exact, case-sensitive: RFC 6749 §3.3).
  bool HasScope(absl::string_view scope) const;
};

// Why a token was refused.
enum class VerifyErrorCode {
  kMissingToken,       // no token (or no "authorization: Bearer" metadata)
  kMalformed,          // not a JWS compact serialization of a JSON claims set
  kUnknownKey,         // kid not in the JWK Set, even after refetching it
  kBadSignature,       // bad signature, alg not the key's, "crit" header, alg none
  kWrongType,          // header typ is not at+jwt (e.g. an ID token)
  kWrongIssuer,        // iss is not VerifierOptions::issuer
  kExpired,            // exp + leeway has passed
  kNotYetValid,        // nbf or iat later than now + leeway
  kMissingClaim,       // sub, client_id, jti or aud missing
  kWrongAudience,      // aud does not contain VerifierOptions::audience
  kInsufficientScope,  // a required scope is missing (RFC 6750 §3.1)
  kInactive,           // online mode: Introspect says inactive (revoked)
  kUnavailable,        // the JWK Set or Introspect could not be fetched: retry
};

// "expired", "wrong_audience", ... (stable, for logs and metrics).
absl::string_view VerifyErrorCodeName(VerifyErrorCode code);

struct VerifyError {
  VerifyErrorCode code;
  // One line for logs and for the caller; never contains the token.
  std::string message;

  // UNAVAILABLE for kUnavailable, PERMISSION_DENIED for kInsufficientScope,
  // UNAUTHENTICATED otherwise; the message is "<code name>: <message>".
  absl::Status ToStatus() const;
  // The RFC 6750 §3.1 error code: "invalid_request" (kMissingToken),
  // "insufficient_scope", "temporarily_unavailable" (kUnavailable), else
  // "invalid_token".
  absl::string_view BearerErrorCode() const;
};

// The typed outcome of Verifier::Verify: AccessToken or VerifyError.
class VerifyResult {
 public:
  VerifyResult(AccessToken token) : value_(std::move(token)) {}  // NOLINT: implicit
  VerifyResult(VerifyError error) : value_(std::move(error)) {}  // NOLINT: implicit

  bool ok() const { return std::holds_alternative<AccessToken>(value_); }
  // Require ok().
  const AccessToken& value() const& { return std::get<AccessToken>(value_); }
  AccessToken&& value() && { return std::get<AccessToken>(std::move(value_)); }
  const AccessToken& operator*() const& { return value(); }
  const AccessToken* operator->() const { return &value(); }
  // Requires !ok().
  const VerifyError& error() const { return std::get<VerifyError>(value_); }
  // OK, or error().ToStatus().
  absl::Status status() const;

 private:
  std::variant<AccessToken, VerifyError> value_;
};

struct VerifierOptions {
  // Required: the exact "iss" of tokens (oauthd's --issuer).
  std::string issuer;
  // Required: this resource server's identifier, which "aud" must contain.
  std::string audience;
  // Scopes every token must carry; Verify can require more per call.
  std::vector<std::string> required_scopes;
  // Tolerated clock difference for exp, nbf and iat.
  absl::Duration leeway = absl::Seconds(30);

  // The JWK Set is fetched on first use (or by RefreshKeys) and refreshed in
  // the calling thread once it is older than this; a failed refresh keeps
  // the old keys.
  absl::Duration jwks_max_age = absl::Minutes(15);
  // A token whose kid is not in the cached set triggers a refetch (keys
  // rotate), but never sooner than this after the previous fetch started, so
  // tokens with made-up kids cannot make us hammer oauthd.
  absl::Duration jwks_min_refetch_interval = absl::Seconds(10);
  // While there are no keys at all, a failed fetch is retried no sooner than
  // this; callers in between get kUnavailable at once.
  absl::Duration jwks_retry_after_failure = absl::Seconds(1);

  // Online mode: after local verification succeeds, ask Introspect whether
  // the token is still active (catches revocation). Needs the credentials of
  // a confidential client (RFC 7662 §2.1). If Introspect cannot be reached
  // the token is refused with kUnavailable (fail closed).
  bool online = false;
  std::string introspection_client_id;
  std::string introspection_client_secret;
  // How long an "active" answer is reused. Revocation takes up to this long
  // to be noticed. "Inactive" answers are kept until the token expires.
  absl::Duration introspection_cache_ttl = absl::Seconds(5);
  // Most answers kept; expired ones are dropped first, then all.
  size_t introspection_cache_size = 10000;

  // Revocation feed: follow oauthd's WatchRevocations stream (with the
  // introspection credentials, whose client must have introspect_any_token)
  // and refuse revoked tokens locally, seeing a revocation within about a
  // second without a call per token. While the feed is not synchronised or
  // has been silent for revocation_feed_max_staleness, tokens are refused
  // with kUnavailable (fail closed). Replaces online mode's Introspect.
  bool revocation_feed = false;
  absl::Duration revocation_feed_max_staleness = absl::Seconds(2);

  // Time source (tests inject a fake).
  Clock clock = SystemClock();
};

// Thread-safe; share one per (issuer, audience).
class RevocationFollower;

class Verifier {
 public:
  // Returns InvalidArgument if issuer or audience is empty, a duration is
  // negative, or online mode lacks introspection_client_id. Does not contact
  // the server (see RefreshKeys).
  static absl::StatusOr<std::shared_ptr<Verifier>> Create(
      std::shared_ptr<AuthorizationServer> server, VerifierOptions options);
  ~Verifier();

  Verifier(const Verifier&) = delete;
  Verifier& operator=(const Verifier&) = delete;

  // Verifies `token` (the compact JWS, without "Bearer "): signature with the
  // key named by its kid, header typ at+jwt, iss, exp/nbf/iat with leeway,
  // required claims, aud, the options' required scopes and
  // `required_scopes`, and in online mode Introspect. The first failed check
  // decides the error. Blocks only when keys or an introspection answer must
  // be fetched.
  VerifyResult Verify(absl::string_view token,
                      absl::Span<const absl::string_view> required_scopes = {});

  // Fetches the JWK Set now (e.g. at startup, to fail fast). Returns the
  // fetch error (keeping any previous keys), or InvalidArgument if the set
  // has no usable key.
  absl::Status RefreshKeys();

  // The options' clock, read once.
  absl::Time Now() const { return options_.clock(); }
  const VerifierOptions& options() const { return options_; }

  struct Stats {
    int64_t jwks_fetches = 0;
    int64_t jwks_fetch_failures = 0;
    int64_t introspections = 0;            // Introspect calls made
    int64_t introspection_cache_hits = 0;
  };
  Stats stats() const;

 private:
  struct IntrospectionEntry {
    bool active;
    absl::Time until;
  };
  using KeySetPtr = std::shared_ptr<const jose::KeySet>;

  Verifier(std::shared_ptr<AuthorizationServer> server, VerifierOptions options);

  // The keys to verify with: the cached set, refreshed as jwks_max_age says.
  absl::StatusOr<KeySetPtr> CurrentKeys();
  // After a token named a kid that `seen` lacks: the newer set another thread
  // fetched meanwhile, or a refetched one when the rate allows, else `seen`.
  KeySetPtr KeysAfterUnknownKid(const KeySetPtr& seen);
  // Fetches while holding the "fetching" role; `mu_` held on entry and exit
  // (released during the call).
  absl::Status FetchKeysLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AwaitFetchLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::optional<VerifyError> CheckActive(absl::string_view token, const AccessToken& claims);
  std::optional<VerifyError> CheckFeed(const AccessToken& claims);

  // With revocation_feed: the follower of oauthd's stream.
  std::unique_ptr<RevocationFollower> follower_;

  const std::shared_ptr<AuthorizationServer> server_;
  const VerifierOptions options_;

  mutable absl::Mutex mu_;
  KeySetPtr keys_ ABSL_GUARDED_BY(mu_);
  absl::Time keys_fetched_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time last_fetch_start_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Status last_fetch_error_ ABSL_GUARDED_BY(mu_);
  bool fetching_ ABSL_GUARDED_BY(mu_) = false;
  int64_t generation_ ABSL_GUARDED_BY(mu_) = 0;

  mutable absl::Mutex cache_mu_;
  absl::flat_hash_map<std::string, IntrospectionEntry> introspection_cache_
      ABSL_GUARDED_BY(cache_mu_);

  std::atomic<int64_t> jwks_fetches_{0};
  std::atomic<int64_t> jwks_fetch_failures_{0};
  std::atomic<int64_t> introspections_{0};
  std::atomic<int64_t> introspection_cache_hits_{0};
};

}  // namespace oauthd::client

#endif  // OAUTHD_CLIENT_LIB_VERIFIER_H_
