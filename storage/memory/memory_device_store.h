#ifndef OAUTHD_STORAGE_MEMORY_MEMORY_DEVICE_STORE_H_
#define OAUTHD_STORAGE_MEMORY_MEMORY_DEVICE_STORE_H_

// Internal to storage/memory: the in-process DeviceStore behind
// MemoryStore::devices(). Same semantics as the Redis store's (tests/storage
// holds both to them); expiry follows `clock`.

#include <memory>

#include "storage/device_store.h"
#include "storage/memory/memory_store.h"

namespace oauthd::storage::memory_internal {

std::unique_ptr<DeviceStore> NewMemoryDeviceStore(StoreClock clock);

}  // namespace oauthd::storage::memory_internal

#endif  // OAUTHD_STORAGE_MEMORY_MEMORY_DEVICE_STORE_H_
