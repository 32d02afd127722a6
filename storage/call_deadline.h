#ifndef OAUTHD_STORAGE_CALL_DEADLINE_H_
#define OAUTHD_STORAGE_CALL_DEADLINE_H_

// The deadline of the request a thread is serving, for stores that may wait
// (the Redis store rides out a failover, storage/redis/redis_options.h
// failover_wait): they never wait past it, so a request is not still being
// worked on after its caller has given up (and perhaps retried).
//
// Set by whoever runs a request's work (server/grpc/offload.h, from the gRPC
// deadline) for the duration of that work, on that thread. Without one,
// absl::InfiniteFuture(): only the store's own bound applies.
//
// Thread-safe: one value per thread.
//
// Example:
//   {
//     storage::ScopedCallDeadline scoped(absl::Now() + absl::Seconds(3));
//     store.refresh_tokens().Rotate(...);  // waits at most until then
//   }

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace oauthd::storage {

namespace call_deadline_internal {
inline absl::Time& Slot() {
  thread_local absl::Time deadline = absl::InfiniteFuture();
  return deadline;
}
}  // namespace call_deadline_internal

// This thread's request deadline, or absl::InfiniteFuture().
inline absl::Time CurrentCallDeadline() { return call_deadline_internal::Slot(); }

// Sets this thread's request deadline while in scope; restores the previous
// one after. Not movable: it belongs to one scope on one thread.
class ScopedCallDeadline {
 public:
  explicit ScopedCallDeadline(absl::Time deadline)
      : previous_(call_deadline_internal::Slot()) {
    call_deadline_internal::Slot() = deadline;
  }
  ~ScopedCallDeadline() { call_deadline_internal::Slot() = previous_; }
  ScopedCallDeadline(const ScopedCallDeadline&) = delete;
  ScopedCallDeadline& operator=(const ScopedCallDeadline&) = delete;

 private:
  const absl::Time previous_;
};

}  // namespace oauthd::storage

#endif  // OAUTHD_STORAGE_CALL_DEADLINE_H_
