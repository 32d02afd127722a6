// Two helper programs for tests/support/child_process_test.cc in a
// ThreadSanitizer build: `tsan_probe race` increments a counter from two
// threads without a lock (a real data race that TSan must report, exit code
// 66); `tsan_probe guarded` does the same under an absl::Mutex (no report,
// exit code 0 — but only if Abseil's lock is instrumented and visible to TSan).

#include <cstdio>
#include <cstring>
#include <thread>

#include "absl/synchronization/mutex.h"

namespace {

long counter = 0;  // the shared state: racy in `race`, guarded in `guarded`
absl::Mutex mu;

void Add(bool guarded) {
  for (int i = 0; i < 100000; ++i) {
    if (guarded) {
      absl::MutexLock lock(&mu);
      ++counter;
    } else {
      ++counter;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 || (std::strcmp(argv[1], "race") != 0 && std::strcmp(argv[1], "guarded") != 0)) {
    std::fprintf(stderr, "usage: tsan_probe race|guarded\n");
    return 2;
  }
  const bool guarded = std::strcmp(argv[1], "guarded") == 0;
  std::thread a(Add, guarded);
  std::thread b(Add, guarded);
  a.join();
  b.join();
  std::printf("counter %ld\n", counter);
  return 0;
}
