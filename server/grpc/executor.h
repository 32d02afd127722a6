#ifndef OAUTHD_SERVER_GRPC_EXECUTOR_H_
#define OAUTHD_SERVER_GRPC_EXECUTOR_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace oauthd::grpc_api {

// A fixed pool of worker threads for request work that may block on storage,
// so that gRPC's callback threads never wait on Redis. Tasks run in FIFO
// order. Thread-safe. The destructor runs every queued task, then joins.
class Executor {
 public:
  explicit Executor(int threads);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  void Run(std::function<void()> task);

 private:
  void Work();

  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace oauthd::grpc_api

#endif  // OAUTHD_SERVER_GRPC_EXECUTOR_H_
