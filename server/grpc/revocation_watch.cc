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

void RevocationWatch::Start(const grpc::Status& authorized) {
  {
    absl::MutexLock lock(&mu_);
    started_ = true;
    if (!authorized.ok() || cancelled_) {
      FinishLocked(authorized.ok() ? grpc::Status::CANCELLED : authorized);
      return;
    }
  }
  // Listen first, then snapshot: an event in between is sent twice, never
  // missed (applying one twice changes nothing).
  listener_ = feed_.AddListener([this](const storage::RevocationEvent* e) {
    if (e == nullptr) {
      Enqueue(oauth::v1::RevocationUpdate(), /*heartbeat=*/true);
    } else {
      Enqueue(ToUpdate(*e), false);
    }
  });
  listening_ = true;
  for (const storage::RevocationEvent& e : feed_.Snapshot()) Enqueue(ToUpdate(e), false);
  oauth::v1::RevocationUpdate synced;
  synced.set_synced(true);
  Enqueue(std::move(synced), false);
}

void RevocationWatch::Enqueue(oauth::v1::RevocationUpdate update, bool heartbeat) {
  absl::MutexLock lock(&mu_);
  if (finished_) return;
  // A heartbeat only matters when nothing else is on its way.
  if (heartbeat && !queue_.empty()) return;
  if (queue_.size() >= kMaxQueued) {
    FinishLocked(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                              "subscriber too slow; reconnect to resynchronise"));
    return;
  }
  queue_.push_back(std::move(update));
  if (!writing_) {
    writing_ = true;
    StartWrite(&queue_.front());
  }
}

void RevocationWatch::OnWriteDone(bool ok) {
  absl::MutexLock lock(&mu_);
  writing_ = false;
  if (finish_after_write_) {
    Finish(*finish_after_write_);
    return;
  }
  if (!ok) {
    FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "write failed"));
    return;
  }
  queue_.pop_front();
  if (!queue_.empty() && !finished_) {
    writing_ = true;
    StartWrite(&queue_.front());
  }
}

void RevocationWatch::OnCancel() {
  absl::MutexLock lock(&mu_);
  if (!started_) {
    cancelled_ = true;  // Start finishes the call
    return;
  }
  FinishLocked(grpc::Status::CANCELLED);
}

void RevocationWatch::FinishLocked(const grpc::Status& status) {
  if (finished_) return;
  finished_ = true;
  if (writing_) {
    finish_after_write_ = status;
  } else {
    Finish(status);
  }
}

void RevocationWatch::OnDone() {
  // After this returns the listener never runs again, so `this` can go.
  if (listening_) feed_.RemoveListener(listener_);
  delete this;
}

}  // namespace oauthd::grpc_api
