#include "server/grpc/revocation_watch.h"

namespace oauthd::grpc_api {
namespace {

oauth::v1::RevocationUpdate ToUpdate(const storage::RevocationEvent& e) {
  using Kind = storage::RevocationEvent::Kind;
  oauth::v1::RevocationUpdate u;
  switch (e.kind) {
    case Kind::kJti: u.set_kind(oauth::v1::RevocationUpdate::JTI); break;
    case Kind::kGrant: u.set_kind(oauth::v1::RevocationUpdate::GRANT); break;
    case Kind::kUser: u.set_kind(oauth::v1::RevocationUpdate::USER); break;
    case Kind::kClient: u.set_kind(oauth::v1::RevocationUpdate::CLIENT); break;
  }
  u.set_id(e.id);
  u.set_not_before_ms(e.not_before_ms);
  u.set_expires_ms(e.expires_ms);
  return u;
}

}  // namespace

// Races fixed (found by ThreadSanitizer): Finish() used to be called with
// mu_ held, and gRPC may run OnDone -- which deletes the reactor -- on another
// thread before the MutexLock is released, so the unlock touched freed memory
// (TSan: Mutex::~Mutex in OnDone against Mutex::Unlock in Start). And a
// cancellation between `started_ = true` and `listening_ = true` finished the
// call while Start was still subscribing, so OnDone could delete the reactor
// under Start's feet and leave its listener registered. Now Finish() is
// called only after the lock is released, and only once Start has returned.
void RevocationWatch::Start(const grpc::Status& authorized) {
  bool subscribe;
  {
    absl::MutexLock lock(&mu_);
    subscribe = authorized.ok() && !cancelled_;
  }
  if (subscribe) {
    // Listen first, then snapshot: an event in between is sent twice, never
    // missed (applying one twice changes nothing).
    const uint64_t listener = feed_.AddListener([this](const storage::RevocationEvent* e) {
      if (e == nullptr) {
        Enqueue(oauth::v1::RevocationUpdate(), /*heartbeat=*/true);
      } else {
        Enqueue(ToUpdate(*e), false);
      }
    });
    {
      absl::MutexLock lock(&mu_);
      listener_ = listener;
      listening_ = true;
    }
    for (const storage::RevocationEvent& e : feed_.Snapshot()) Enqueue(ToUpdate(e), false);
    oauth::v1::RevocationUpdate synced;
    synced.set_synced(true);
    Enqueue(std::move(synced), false);
  }
  std::optional<grpc::Status> finish;
  {
    absl::MutexLock lock(&mu_);
    started_ = true;
    if (!authorized.ok() || cancelled_) {
      finish = FinishLocked(authorized.ok() ? grpc::Status::CANCELLED : authorized);
    }
    if (!finish && finish_after_write_ && !writing_) {
      finish = std::move(finish_after_write_);  // decided while Start ran
      finish_after_write_.reset();
    }
  }
  if (finish) Finish(*finish);
}

void RevocationWatch::Enqueue(oauth::v1::RevocationUpdate update, bool heartbeat) {
  std::optional<grpc::Status> finish;
  {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    // A heartbeat only matters when nothing else is on its way.
    if (heartbeat && !queue_.empty()) return;
    if (queue_.size() >= kMaxQueued) {
      finish = FinishLocked(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                         "subscriber too slow; reconnect to resynchronise"));
    } else {
      queue_.push_back(std::move(update));
      if (!writing_) {
        writing_ = true;
        StartWrite(&queue_.front());
      }
    }
  }
  if (finish) Finish(*finish);
}

void RevocationWatch::OnWriteDone(bool ok) {
  std::optional<grpc::Status> finish;
  {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (finish_after_write_) {
      if (started_) {  // otherwise Start finishes when it returns
        finish = std::move(finish_after_write_);
        finish_after_write_.reset();
      }
    } else if (!ok) {
      finish = FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "write failed"));
    } else {
      queue_.pop_front();
      if (!queue_.empty() && !finished_) {
        writing_ = true;
        StartWrite(&queue_.front());
      }
    }
  }
  if (finish) Finish(*finish);
}

void RevocationWatch::OnCancel() {
  std::optional<grpc::Status> finish;
  {
    absl::MutexLock lock(&mu_);
    if (!started_) {
      cancelled_ = true;  // Start finishes the call
      return;
    }
    finish = FinishLocked(grpc::Status::CANCELLED);
  }
  if (finish) Finish(*finish);
}

std::optional<grpc::Status> RevocationWatch::FinishLocked(const grpc::Status& status) {
  if (finished_) return std::nullopt;
  finished_ = true;
  if (writing_ || !started_) {
    finish_after_write_ = status;
    return std::nullopt;
  }
  return status;
}

void RevocationWatch::OnDone() {
  bool listening;
  uint64_t listener;
  {
    absl::MutexLock lock(&mu_);
    listening = listening_;
    listener = listener_;
  }
  // After this returns the listener never runs again, so `this` can go.
  if (listening) feed_.RemoveListener(listener);
  delete this;
}

}  // namespace oauthd::grpc_api
