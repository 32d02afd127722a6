#ifndef OAUTHD_SERVER_GRPC_EXECUTOR_H_
#define OAUTHD_SERVER_GRPC_EXECUTOR_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace oauthd::grpc_api {

// A fixed pool of worker threads for request work that may block on storage,
// so that gRPC's callback threads never wait on Redis. Tasks run in FIFO
// order. The queue is bounded: work beyond `max_queued` waiting tasks is
// refused (the caller sheds it) rather than delaying everything behind it.
// Thread-safe. The destructor runs every queued task, then joins.
class Executor {
 public:
  explicit Executor(int threads, size_t max_queued = SIZE_MAX);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Queues `task`; false (and `task` dropped) when the queue is full.
  bool TryRun(std::function<void()> task);
  // Queues `task` whatever the bound (work that must not be lost).
  void Run(std::function<void()> task);

  // For metrics: tasks TryRun refused (queue full) since the start, and
  // tasks waiting now.
  uint64_t rejected() const { return rejected_.load(std::memory_order_relaxed); }
  size_t queued() const;
  int threads() const { return static_cast<int>(threads_.size()); }

 private:
  void Work();

  mutable absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  const size_t max_queued_;
  std::atomic<uint64_t> rejected_{0};
  std::vector<std::thread> threads_;
};

}  // namespace oauthd::grpc_api

#endif  // OAUTHD_SERVER_GRPC_EXECUTOR_H_
