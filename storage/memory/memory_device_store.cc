#include "storage/memory/memory_device_store.h"

#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace oauthd::storage::memory_internal {
namespace {

// Slow-down step of RFC 8628 §3.5, in seconds.
constexpr int64_t kSlowDownStep = 5;

struct DeviceEntry {
  DeviceAuthorization authorization;
  bool redeemed = false;
  int64_t last_poll_ms = 0;  // 0: never polled
  absl::Time expires;
};

struct UserCodeEntry {
  std::string device_code_hash;
  absl::Time expires;
};

class MemoryDeviceStore final : public DeviceStore {
 public:
  explicit MemoryDeviceStore(StoreClock clock) : clock_(std::move(clock)) {}

  absl::Status Save(absl::string_view device_code_hash, absl::string_view user_code_hash,
                    const DeviceAuthorization& authorization, absl::Duration ttl) override {
    if (device_code_hash.empty() || user_code_hash.empty()) {
      return absl::InvalidArgumentError("device or user code hash is empty");
    }
    ttl = absl::Milliseconds(absl::ToInt64Milliseconds(ttl));
    if (ttl < absl::Milliseconds(1)) {
      return absl::InvalidArgumentError("device code TTL must be at least 1 ms");
    }
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_();
    Sweep(now);
    auto live = [now](const auto& map, absl::string_view key) {
      auto it = map.find(key);
      return it != map.end() && it->second.expires > now;
    };
    if (live(devices_, device_code_hash) || live(user_codes_, user_code_hash)) {
      return absl::AlreadyExistsError("device or user code hash collision");
    }
    devices_.erase(device_code_hash);
    DeviceEntry& entry = devices_[device_code_hash];
    entry.authorization = authorization;
    entry.authorization.state = DeviceAuthorization::State::kPending;
    entry.expires = now + ttl;
    user_codes_[user_code_hash] = UserCodeEntry{std::string(device_code_hash), now + ttl};
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<DeviceAuthorization>> FindByUserCode(
      absl::string_view user_code_hash, int64_t now_ms) override {
    absl::MutexLock lock(&mu_);
    DeviceEntry* entry = PendingByUserCode(user_code_hash, now_ms);
    if (entry == nullptr) return std::nullopt;
    return entry->authorization;
  }

  absl::StatusOr<bool> Decide(absl::string_view user_code_hash,
                              const DeviceDecision& decision, int64_t now_ms) override {
    absl::MutexLock lock(&mu_);
    DeviceEntry* entry = PendingByUserCode(user_code_hash, now_ms);
    if (entry == nullptr) return false;
    DeviceAuthorization& a = entry->authorization;
    if (decision.approved) {
      a.state = DeviceAuthorization::State::kApproved;
      a.subject = decision.subject;
      a.username = decision.username;
      a.grant_id = decision.grant_id;
      a.granted_at_ms = decision.granted_at_ms;
    } else {
      a.state = DeviceAuthorization::State::kDenied;
    }
    user_codes_.erase(user_code_hash);
    return true;
  }

  absl::StatusOr<PollResult> Poll(absl::string_view device_code_hash,
                                  absl::string_view client_id, int64_t now_ms) override {
    using Outcome = PollResult::Outcome;
    PollResult result;
    absl::MutexLock lock(&mu_);
    auto it = devices_.find(device_code_hash);
    if (it == devices_.end() || it->second.expires <= clock_()) {
      if (it != devices_.end()) devices_.erase(it);
      result.outcome = Outcome::kNotFound;
      return result;
    }
    DeviceEntry& entry = it->second;
    DeviceAuthorization& a = entry.authorization;
    if (a.client_id != client_id) {
      result.outcome = Outcome::kClientMismatch;
      return result;
    }
    if (entry.redeemed) {
      result.outcome = Outcome::kAlreadyRedeemed;
      return result;
    }
    if (now_ms >= a.expires_at_ms) {
      result.outcome = Outcome::kExpired;
      return result;
    }
    switch (a.state) {
      case DeviceAuthorization::State::kDenied:
        result.outcome = Outcome::kDenied;
        return result;
      case DeviceAuthorization::State::kApproved:
        entry.redeemed = true;
        result.outcome = Outcome::kApproved;
        result.authorization = a;
        return result;
      case DeviceAuthorization::State::kPending:
        break;
    }
    if (entry.last_poll_ms > 0 && now_ms - entry.last_poll_ms < a.interval_seconds * 1000) {
      a.interval_seconds += kSlowDownStep;
      result.outcome = Outcome::kSlowDown;
    } else {
      result.outcome = Outcome::kPending;
    }
    entry.last_poll_ms = now_ms;
    result.authorization = a;
    return result;
  }

 private:
  DeviceEntry* PendingByUserCode(absl::string_view user_code_hash, int64_t now_ms)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const absl::Time now = clock_();
    auto u = user_codes_.find(user_code_hash);
    if (u == user_codes_.end()) return nullptr;
    if (u->second.expires <= now) {
      user_codes_.erase(u);
      return nullptr;
    }
    auto d = devices_.find(u->second.device_code_hash);
    if (d == devices_.end() || d->second.expires <= now) return nullptr;
    DeviceEntry& entry = d->second;
    if (entry.authorization.state != DeviceAuthorization::State::kPending ||
        now_ms >= entry.authorization.expires_at_ms) {
      return nullptr;
    }
    return &entry;
  }

  // Drops expired entries at most once a minute.
  void Sweep(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (now - last_sweep_ < absl::Minutes(1)) return;
    last_sweep_ = now;
    absl::erase_if(devices_, [now](const auto& kv) { return kv.second.expires <= now; });
    absl::erase_if(user_codes_, [now](const auto& kv) { return kv.second.expires <= now; });
  }

  const StoreClock clock_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, DeviceEntry> devices_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, UserCodeEntry> user_codes_ ABSL_GUARDED_BY(mu_);
  absl::Time last_sweep_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace

std::unique_ptr<DeviceStore> NewMemoryDeviceStore(StoreClock clock) {
  return std::make_unique<MemoryDeviceStore>(std::move(clock));
}

}  // namespace oauthd::storage::memory_internal
