#include "server/core/client_registry.h"

#include <algorithm>

#include "server/core/client_secret.h"
#include "server/core/config.h"
#include "server/core/oauth_error.h"

namespace oauthd {
namespace {

// Small enough to keep memory bounded against floods of random client ids.
constexpr size_t kMaxCacheEntries = 10000;
constexpr absl::string_view kAuthFailed = "client authentication failed";

}  // namespace

ClientRegistry::ClientRegistry(storage::ClientStore& store,
                               absl::Duration cache_ttl, Clock clock)
    : store_(store), cache_ttl_(cache_ttl), clock_(std::move(clock)) {}

absl::StatusOr<std::shared_ptr<const storage::ClientRecord>> ClientRegistry::Get(
    absl::string_view client_id) {
  const absl::Time now = clock_();
  if (cache_ttl_ > absl::ZeroDuration()) {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(client_id);
    if (it != cache_.end() && it->second.expires > now) {
      if (!it->second.record) return InvalidClient(kAuthFailed);
      return it->second.record;
    }
  }
  absl::StatusOr<std::optional<storage::ClientRecord>> loaded = store_.Get(client_id);
  if (!loaded.ok()) return loaded.status();
  std::shared_ptr<const storage::ClientRecord> record;
  if (loaded->has_value()) {
    record = std::make_shared<const storage::ClientRecord>(std::move(**loaded));
  }
  if (cache_ttl_ > absl::ZeroDuration()) {
    absl::MutexLock lock(&mu_);
    if (cache_.size() >= kMaxCacheEntries) {
      // Drop expired entries; if still full, start over rather than grow.
      absl::erase_if(cache_, [&](const auto& kv) { return kv.second.expires <= now; });
      if (cache_.size() >= kMaxCacheEntries) cache_.clear();
    }
    cache_[client_id] = Entry{record, now + cache_ttl_};
  }
  if (!record) return InvalidClient(kAuthFailed);
  return record;
}

absl::StatusOr<std::shared_ptr<const storage::ClientRecord>>
ClientRegistry::Authenticate(const oauth::v1::ClientAuthentication& auth) {
  if (!auth.client_assertion().empty() || !auth.client_assertion_type().empty()) {
    return InvalidRequest("client_assertion (private_key_jwt) is not supported");
  }
  // RFC 6749 §5.2: "no client authentication included" is invalid_client.
  if (auth.client_id().empty()) return InvalidClient("client authentication is required");
  if (auth.client_id().size() > kMaxClientIdLength ||
      auth.client_secret().size() > kMaxSecretLength) {
    return InvalidRequest("client_id or client_secret is too long");
  }
  absl::StatusOr<std::shared_ptr<const storage::ClientRecord>> record =
      Get(auth.client_id());
  if (!record.ok()) return record.status();
  const storage::ClientRecord& r = **record;
  if (IsPublicClient(r.client())) {
    if (!auth.client_secret().empty()) return InvalidClient(kAuthFailed);
    return record;
  }
  const bool current = VerifyClientSecret(auth.client_secret(), r.secret_salt(), r.secret_hash());
  // The secret before the last rotation, during its overlap (client_admin.h).
  // Checked whenever it is live, so the time taken does not tell which one
  // matched.
  bool previous = false;
  if (!r.previous_secret_hash().empty() &&
      absl::ToUnixMillis(clock_()) < r.previous_secret_expire_time_ms()) {
    previous = VerifyClientSecret(auth.client_secret(), r.previous_secret_salt(),
                                  r.previous_secret_hash());
  }
  if (!current && !previous) return InvalidClient(kAuthFailed);
  return record;
}

void ClientRegistry::Invalidate(absl::string_view client_id) {
  absl::MutexLock lock(&mu_);
  cache_.erase(client_id);
}

bool IsPublicClient(const oauth::admin::v1::Client& client) {
  return client.token_endpoint_auth_method() == "none";
}

bool ClientAllowsGrant(const oauth::admin::v1::Client& client,
                       absl::string_view grant_type) {
  return std::find(client.grant_types().begin(), client.grant_types().end(),
                   grant_type) != client.grant_types().end();
}

}  // namespace oauthd
