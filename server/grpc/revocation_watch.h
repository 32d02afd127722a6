#ifndef OAUTHD_SERVER_GRPC_REVOCATION_WATCH_H_
#define OAUTHD_SERVER_GRPC_REVOCATION_WATCH_H_

// The server side of TokenService.WatchRevocations: one reactor per
// subscriber, fed by the revocation view (storage::RevocationFeed). It sends
// the snapshot, a `synced` marker, then every event and heartbeats, one write
// at a time from an in-memory queue. A subscriber that falls more than
// kMaxQueued updates behind is ended with RESOURCE_EXHAUSTED (it reconnects
// and resynchronises) rather than holding memory without bound.

#include <deque>
#include <optional>

#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "oauth/v1/token.pb.h"
#include "storage/revocation_store.h"

namespace oauthd::grpc_api {

class RevocationWatch final : public grpc::ServerWriteReactor<oauth::v1::RevocationUpdate> {
 public:
  static constexpr size_t kMaxQueued = 100000;

  explicit RevocationWatch(storage::RevocationFeed& feed) : feed_(feed) {}

  // Called exactly once, when the caller's authorisation is known: OK
  // subscribes and starts sending; anything else ends the call with it. Until
  // then the call is never finished (a cancellation waits for Start), so the
  // reactor outlives the work that will call Start.
  void Start(const grpc::Status& authorized);

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  void Enqueue(oauth::v1::RevocationUpdate update, bool heartbeat);
  // Marks the call finished. Returns the status to pass to Finish() once mu_
  // is released, or nothing when a write is in flight or Start has not
  // returned yet (then OnWriteDone or Start finishes it). Finish() is never
  // called with mu_ held: OnDone may run at once on another thread and
  // delete the reactor, mutex included.
  std::optional<grpc::Status> FinishLocked(const grpc::Status& status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  storage::RevocationFeed& feed_;
  absl::Mutex mu_;
  std::deque<oauth::v1::RevocationUpdate> queue_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  // Finish waits for the write in flight and for Start to return.
  std::optional<grpc::Status> finish_after_write_ ABSL_GUARDED_BY(mu_);
  uint64_t listener_ ABSL_GUARDED_BY(mu_) = 0;
  bool listening_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace oauthd::grpc_api

#endif  // OAUTHD_SERVER_GRPC_REVOCATION_WATCH_H_
