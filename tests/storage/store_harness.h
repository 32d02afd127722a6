#ifndef OAUTHD_TESTS_STORAGE_STORE_HARNESS_H_
#define OAUTHD_TESTS_STORAGE_STORE_HARNESS_H_

// Backends under test for the storage suites: the memory store on a fake
// clock and the Redis store on the binary's throw-away redis-server.

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/redis/redis_options.h"
#include "storage/store.h"
#include "tests/support/redis_server.h"

namespace oauthd::storage::testing_internal {

enum class Backend { kMemory, kRedis };

std::string BackendName(Backend backend);
// For GoogleTest's parameter printing.
inline void PrintTo(Backend backend, std::ostream* os) { *os << BackendName(backend); }

class StoreHarness {
 public:
  virtual ~StoreHarness() = default;
  virtual Store& store() = 0;
  // Moves the store's time forward: the fake clock for memory, a real sleep
  // for Redis (its TTLs follow the server's clock).
  virtual void Advance(absl::Duration d) = 0;
  // The store's idea of now, in unix seconds (what RefreshRotation::now and
  // family_expires_at are measured against).
  virtual int64_t NowUnix() = 0;
};

// A fresh, empty store of `backend`. For Redis this flushes the shared
// server (restarting it if an earlier test left it stopped).
absl::StatusOr<std::unique_ptr<StoreHarness>> MakeHarness(Backend backend);

// The shared redis-server, running and flushed.
absl::StatusOr<test_support::RedisServer*> FreshRedis();

// Options pointing at the shared server, with generous test timeouts.
RedisOptions TestRedisOptions(const test_support::RedisServer& server);

}  // namespace oauthd::storage::testing_internal

#endif  // OAUTHD_TESTS_STORAGE_STORE_HARNESS_H_
