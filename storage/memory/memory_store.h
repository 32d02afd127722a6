#ifndef OAUTHD_STORAGE_MEMORY_MEMORY_STORE_H_
#define OAUTHD_STORAGE_MEMORY_MEMORY_STORE_H_

// In-process implementation of every store interface, for unit tests and the
// single-process development mode (no Redis).
//
// Semantics match the Redis store (storage/redis/redis_store.h) exactly; the
// shared conformance suite in tests/storage/ holds both to that. Expiry uses
// the injected clock, so tests can move time forward without sleeping. State
// is lost when the Store is destroyed and is not shared between processes:
// never run more than one replica on it.
//
// Thread safety: every method may be called concurrently; one mutex guards
// all state, which is fine for tests and development but not a production
// design.

#include <functional>
#include <memory>

#include "absl/time/time.h"
#include "storage/store.h"

namespace oauthd::storage {

// Time source of the memory store. Must be thread-safe and monotonic enough
// for TTLs (a fake clock that only moves forward is fine).
using StoreClock = std::function<absl::Time()>;

// How long RefreshTokenStore::RevokeFamily remembers a family it has never
// seen (so that a Create racing the revocation cannot start it afresh). The
// Redis store uses the same value.
inline constexpr absl::Duration kUnknownFamilyRevocationTtl = absl::Hours(24);

// Returns an empty store. `clock` defaults to absl::Now when null.
//
// Example:
//   absl::Time now = absl::FromUnixSeconds(1700000000);
//   auto store = NewMemoryStore([&now] { return now; });
std::unique_ptr<Store> NewMemoryStore(StoreClock clock = nullptr);

}  // namespace oauthd::storage

#endif  // OAUTHD_STORAGE_MEMORY_MEMORY_STORE_H_
