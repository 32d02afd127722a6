#include "tests/storage/store_harness.h"

#include <utility>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "storage/memory/memory_store.h"
#include "storage/redis/redis_store.h"

namespace oauthd::storage::testing_internal {
namespace {

class MemoryHarness final : public StoreHarness {
 public:
  MemoryHarness()
      : now_(absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()))),
        store_(NewMemoryStore([this] {
          absl::MutexLock lock(&mu_);
          return now_;
        })) {}
  Store& store() override { return *store_; }
  void Advance(absl::Duration d) override {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }
  int64_t NowUnix() override {
    absl::MutexLock lock(&mu_);
    return absl::ToUnixSeconds(now_);
  }

 private:
  absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<Store> store_;
};

class RedisHarness final : public StoreHarness {
 public:
  explicit RedisHarness(std::unique_ptr<Store> store) : store_(std::move(store)) {}
  Store& store() override { return *store_; }
  void Advance(absl::Duration d) override { absl::SleepFor(d); }
  int64_t NowUnix() override { return absl::ToUnixSeconds(absl::Now()); }

 private:
  std::unique_ptr<Store> store_;
};

}  // namespace

std::string BackendName(Backend backend) {
  return backend == Backend::kMemory ? "Memory" : "Redis";
}

absl::StatusOr<test_support::RedisServer*> FreshRedis() {
  absl::StatusOr<test_support::RedisServer*> server =
      test_support::RedisServerEnvironment::Server();
  if (!server.ok()) return server.status();
  if (!(*server)->running()) {
    if (absl::Status s = (*server)->Restart(); !s.ok()) return s;
  }
  if (absl::Status s = (*server)->FlushAll(); !s.ok()) return s;
  return *server;
}

RedisOptions TestRedisOptions(const test_support::RedisServer& server) {
  RedisOptions options;
  options.host = server.host();
  options.port = server.port();
  // Sanitizer builds and a loaded 2-core machine are slow: keep the
  // production-like connect timeout but do not fail tests on pool waits.
  options.pool_wait_timeout = absl::Seconds(5);
  options.command_timeout = absl::Seconds(2);
  return options;
}

absl::StatusOr<std::unique_ptr<StoreHarness>> MakeHarness(Backend backend) {
  if (backend == Backend::kMemory) return std::make_unique<MemoryHarness>();
  absl::StatusOr<test_support::RedisServer*> server = FreshRedis();
  if (!server.ok()) return server.status();
  absl::StatusOr<std::unique_ptr<Store>> store =
      NewRedisStore(TestRedisOptions(**server));
  if (!store.ok()) return store.status();
  return std::make_unique<RedisHarness>(*std::move(store));
}

}  // namespace oauthd::storage::testing_internal
