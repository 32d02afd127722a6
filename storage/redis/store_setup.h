#ifndef OAUTHD_STORAGE_REDIS_STORE_SETUP_H_
#define OAUTHD_STORAGE_REDIS_STORE_SETUP_H_

// Internal to storage/redis: how the store and the revocation view reach
// Redis from RedisOptions.

#include <memory>

#include "storage/redis/connection.h"
#include "storage/redis/primary_locator.h"
#include "storage/redis/redis_options.h"

namespace oauthd::storage::redis_internal {

// Handshake settings of every connection (AUTH, SELECT, ROLE, SCRIPT LOAD).
ConnectionConfig MakeConnectionConfig(const RedisOptions& options);
// The fixed server of the URL, or the primary found through the Sentinels.
std::unique_ptr<PrimaryLocator> MakeLocator(const RedisOptions& options);

}  // namespace oauthd::storage::redis_internal

#endif  // OAUTHD_STORAGE_REDIS_STORE_SETUP_H_
