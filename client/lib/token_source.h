#ifndef OAUTHD_CLIENT_LIB_TOKEN_SOURCE_H_
#define OAUTHD_CLIENT_LIB_TOKEN_SOURCE_H_

// TokenSource: access tokens for a service acting as itself (the OAuth 2.0
// client_credentials grant, RFC 6749 §4.4), cached and renewed ahead of
// expiry.
//
// Example:
//   auto server = NewGrpcAuthorizationServer(
//       grpc::CreateChannel("oauthd:50051", grpc::InsecureChannelCredentials()));
//   TokenSourceOptions options;
//   options.client_id = "billing";
//   options.client_secret = ReadSecret();
//   options.scope = "inventory.read";
//   absl::StatusOr<std::shared_ptr<TokenSource>> tokens =
//       TokenSource::Create(server, std::move(options));
//   ...
//   absl::StatusOr<Token> token = (*tokens)->GetToken();
//   if (token.ok()) request.AddHeader("authorization", "Bearer " + token->access_token);
//
// Or attach tokens to every call of a channel with TokenSourceCallCredentials
// (grpc_auth.h).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/lib/authorization_server.h"
#include "client/lib/client_assertion.h"
#include "client/lib/clock.h"

namespace oauthd::client {

struct TokenSourceOptions {
  // Client credentials (client_secret_basic/post; the transport does not
  // matter over gRPC). Required: client_id.
  std::string client_id;
  std::string client_secret;
  // private_key_jwt (RFC 7523) instead of a secret: a PEM private key file
  // (ES256, RS256 or EdDSA, e.g. from `oauthctl keys generate`) whose public
  // key is registered as the client's jwks, and the authorization server's
  // issuer identifier (the assertions' aud). Each fetch sends a new
  // assertion valid for 60 s. Set either this or client_secret.
  std::string private_key_file;
  std::string issuer;
  // Space-delimited scope to request (RFC 6749 §3.3); empty asks for the
  // client's default scopes.
  std::string scope;
  // Resource indicators (RFC 8707): the audiences the token is for. Empty:
  // the client's default audience.
  std::vector<std::string> resources;

  // Renewal starts `renew_before` ahead of expiry, plus a random extra of up
  // to `renew_jitter` so that replicas started together do not renew
  // together. Each is capped for short-lived tokens (renew_before at half the
  // lifetime, renew_jitter at a quarter).
  absl::Duration renew_before = absl::Minutes(1);
  absl::Duration renew_jitter = absl::Seconds(30);
  // A cached token is handed out only while it has more than this left
  // (capped at a tenth of its lifetime), so that it does not expire in
  // flight.
  absl::Duration min_remaining = absl::Seconds(5);
  // After a failed fetch, callers that have no usable token get that error
  // without a new call until this much time has passed; a renewal that failed
  // while the old token is still usable is retried after this long.
  absl::Duration retry_after_failure = absl::Seconds(1);
  // Used when a response has no expires_in (RFC 6749 §5.1 makes it optional).
  absl::Duration default_lifetime = absl::Minutes(1);

  // Time source (tests inject a fake).
  Clock clock = SystemClock();
  // Uniform random numbers in [0, 1) for the jitter; must be thread-safe.
  // Empty: a per-thread absl::BitGen. Tests inject a constant.
  std::function<double()> random;
};

// A cached access token.
struct Token {
  std::string access_token;
  std::string token_type;  // "Bearer"
  std::string scope;       // the granted scope, space-delimited
  // Local time (per the TokenSource's clock) when the token expires: the
  // time the request was sent plus expires_in. The server's clock is never
  // compared with ours, so clock skew between the two does not matter.
  absl::Time expiry;
  // When the request for it was sent (per the same clock).
  absl::Time obtained_at;
  // When the TokenSource starts renewing it.
  absl::Time renew_at;
};

// Thread-safe. Create it once per (client, scope, resources) and share it.
class TokenSource {
 public:
  // Returns InvalidArgument if options.client_id is empty, a text option
  // (client_id, client_secret, issuer, scope, resources) is not UTF-8, a
  // duration is negative, both client_secret and private_key_file are set, or
  // the key file cannot be loaded or has no issuer. Does not contact the server.
  static absl::StatusOr<std::shared_ptr<TokenSource>> Create(
      std::shared_ptr<AuthorizationServer> server, TokenSourceOptions options);

  TokenSource(const TokenSource&) = delete;
  TokenSource& operator=(const TokenSource&) = delete;

  // Returns a token with at least min_remaining left:
  //   - the cached one while it is fresh (no call);
  //   - once renewal is due, exactly one caller fetches a new token while the
  //     others keep getting the cached one for as long as it is usable;
  //   - without a usable token, one caller fetches and every concurrent
  //     caller waits for that single call and shares its result
  //     (single-flight: N threads asking at once cause one IssueToken).
  // Errors are the server's (see AuthorizationServer), e.g. UNAUTHENTICATED
  // with invalid_client, or UNAVAILABLE; INTERNAL when the response has no
  // access_token or one that is not printable ASCII (RFC 6749 §A.12 VSCHAR).
  absl::StatusOr<Token> GetToken();

  // Drops the cached token if it is `access_token` (e.g. after a resource
  // server rejected it), so that the next GetToken fetches a new one.
  void Invalidate(absl::string_view access_token);

  struct Stats {
    int64_t fetches = 0;          // IssueToken calls made
    int64_t fetch_failures = 0;   // of which failed
    int64_t waits = 0;            // callers that waited for another's fetch
  };
  Stats stats() const;

 private:
  TokenSource(std::shared_ptr<AuthorizationServer> server, TokenSourceOptions options);

  // Makes the IssueToken call. `mu_` must not be held.
  absl::StatusOr<Token> Fetch();
  // True if `token` may still be handed out at `now`.
  bool Usable(const Token& token, absl::Time now) const;
  double Random();

  const std::shared_ptr<AuthorizationServer> server_;
  const TokenSourceOptions options_;
  // Signs private_key_jwt assertions; null with a client secret.
  std::shared_ptr<const ClientAssertionSigner> signer_;

  mutable absl::Mutex mu_;
  std::optional<Token> token_ ABSL_GUARDED_BY(mu_);
  bool fetching_ ABSL_GUARDED_BY(mu_) = false;
  // Incremented when a fetch completes; waiters wait for a change.
  int64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status last_error_ ABSL_GUARDED_BY(mu_);
  absl::Time last_failure_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  Stats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace oauthd::client

#endif  // OAUTHD_CLIENT_LIB_TOKEN_SOURCE_H_
