#include "server/core/verified_token_cache.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/synchronization/mutex.h"
#include "server/core/config.h"

namespace oauthd {
namespace {

// Enough shards that two request threads rarely share a lock.
constexpr size_t kMaxShards = 16;

}  // namespace

struct VerifiedTokenCache::Shard {
  explicit Shard(size_t capacity) : capacity(capacity) {}
  const size_t capacity;
  mutable absl::Mutex mu;
  absl::flat_hash_map<std::string, AccessTokenInfo> entries ABSL_GUARDED_BY(mu);
};

bool TimeClaimsHold(const AccessTokenInfo& info, absl::Time now, absl::Duration leeway) {
  leeway = std::max(leeway, absl::ZeroDuration());
  return now < absl::FromUnixSeconds(info.exp) + leeway &&
         absl::FromUnixSeconds(info.nbf) <= now + leeway &&
         absl::FromUnixSeconds(info.iat) <= now + leeway;
}

VerifiedTokenCache::VerifiedTokenCache(size_t capacity) : capacity_(capacity) {
  const size_t shards = std::min(kMaxShards, capacity);
  for (size_t i = 0; i < shards; ++i) {
    // Shard capacities add up to exactly `capacity`.
    shards_.push_back(std::make_unique<Shard>(capacity / shards + (i < capacity % shards)));
  }
}

VerifiedTokenCache::~VerifiedTokenCache() = default;

VerifiedTokenCache::Shard& VerifiedTokenCache::ShardFor(absl::string_view token) const {
  return *shards_[absl::Hash<absl::string_view>{}(token) % shards_.size()];
}

std::optional<AccessTokenInfo> VerifiedTokenCache::Find(absl::string_view token,
                                                        absl::Time now,
                                                        absl::Duration leeway) const {
  if (shards_.empty()) return std::nullopt;
  Shard& shard = ShardFor(token);
  absl::MutexLock lock(&shard.mu);
  auto it = shard.entries.find(token);
  if (it == shard.entries.end()) return std::nullopt;
  if (!TimeClaimsHold(it->second, now, leeway)) {
    // Past its time for this caller; an entry expired for every caller
    // (beyond the largest leeway anyone may use) goes.
    if (absl::FromUnixSeconds(it->second.exp) + kMaxClockLeeway <= now) {
      shard.entries.erase(it);
    }
    return std::nullopt;
  }
  return it->second;
}

void VerifiedTokenCache::Insert(absl::string_view token, const AccessTokenInfo& info,
                                absl::Time now) const {
  if (shards_.empty()) return;
  Shard& shard = ShardFor(token);
  absl::MutexLock lock(&shard.mu);
  if (shard.entries.contains(token)) return;
  if (shard.entries.size() >= shard.capacity) {
    absl::erase_if(shard.entries, [now](const auto& entry) {
      return absl::FromUnixSeconds(entry.second.exp) + kMaxClockLeeway <= now;
    });
    if (shard.entries.size() >= shard.capacity) shard.entries.erase(shard.entries.begin());
  }
  shard.entries.emplace(token, info);
}

void VerifiedTokenCache::Clear() const {
  for (const auto& shard : shards_) {
    absl::MutexLock lock(&shard->mu);
    shard->entries.clear();
  }
}

}  // namespace oauthd
