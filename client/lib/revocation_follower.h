#ifndef OAUTHD_CLIENT_LIB_REVOCATION_FOLLOWER_H_
#define OAUTHD_CLIENT_LIB_REVOCATION_FOLLOWER_H_

// Internal to the client library: follows oauthd's WatchRevocations stream
// for a Verifier (VerifierOptions::revocation_feed), so that a service that
// verifies tokens locally also refuses revoked ones, within about a second
// and without a call per token. The rule is oauthd's (docs/revocation.md):
// a token is revoked when its jti or its grant was revoked, or when its grant
// (or, without a grant, the token itself) dates from at or before its user's
// or client's not-before instant; instants come from the timed ids (the
// jti's and the grant id's first 48 bits are unix milliseconds).
//
// A background thread keeps the stream open, reconnecting after 500 ms when
// it ends. Until the first complete snapshot, and whenever nothing (not even
// a heartbeat) arrived for `max_staleness`, Revoked answers UNAVAILABLE: the
// Verifier then refuses the token (fail closed). Thread-safe.

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/lib/authorization_server.h"

namespace oauthd::client {

struct AccessToken;

class RevocationFollower {
 public:
  // Starts following at once; `client_id`/`client_secret` must belong to a
  // confidential client created with introspect_any_token.
  RevocationFollower(std::shared_ptr<AuthorizationServer> server, std::string client_id,
                     std::string client_secret, absl::Duration max_staleness);
  ~RevocationFollower();

  // Whether `token` is revoked; UNAVAILABLE while the follower is stale.
  absl::StatusOr<bool> Revoked(const AccessToken& token) const;
  // True once synchronised and heard from oauthd within max_staleness.
  bool Fresh() const;

 private:
  struct Owner {
    int64_t not_before_ms = 0;
    int64_t expires_ms = 0;
  };
  void Run();
  void Apply(const oauth::v1::RevocationUpdate& update);

  const std::shared_ptr<AuthorizationServer> server_;
  const std::string client_id_;
  const std::string client_secret_;
  const absl::Duration max_staleness_;

  std::atomic<bool> stopping_{false};
  std::atomic<bool> synced_{false};
  std::atomic<int64_t> last_heard_ns_{0};
  absl::Mutex stream_mu_;
  AuthorizationServer::RevocationStream* stream_ ABSL_GUARDED_BY(stream_mu_) = nullptr;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, int64_t> jtis_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int64_t> grants_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Owner> users_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Owner> clients_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace oauthd::client

#endif  // OAUTHD_CLIENT_LIB_REVOCATION_FOLLOWER_H_
