#include "server/core/cors_policy.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "server/core/oauth_error.h"

namespace oauthd {
namespace {

constexpr size_t kMaxOriginLength = 256;
constexpr int kListPage = 1000;

}  // namespace

CorsPolicy::CorsPolicy(ClientRegistry& registry, storage::ClientStore& store,
                       absl::Duration index_ttl, Clock clock)
    : registry_(registry), store_(store), index_ttl_(index_ttl), clock_(std::move(clock)) {}

absl::StatusOr<bool> CorsPolicy::Allowed(absl::string_view origin, absl::string_view client_id) {
  if (origin.empty() || origin.size() > kMaxOriginLength) return false;
  if (client_id.empty()) return AnyClientAllows(origin);
  absl::StatusOr<std::shared_ptr<const storage::ClientRecord>> record = registry_.Get(client_id);
  if (!record.ok()) {
    // An unknown client is simply not allowed; storage trouble is an error.
    if (ToOAuthError(record.status()).error() == "invalid_client") return false;
    return record.status();
  }
  const auto& origins = (*record)->client().allowed_cors_origins();
  return std::find(origins.begin(), origins.end(), origin) != origins.end();
}

absl::StatusOr<bool> CorsPolicy::AnyClientAllows(absl::string_view origin) {
  // One rebuild at a time; callers run on oauthd's executor, not on gRPC
  // threads, so waiting here is allowed.
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_();
  if (now - built_ >= index_ttl_) {
    absl::flat_hash_set<std::string> origins;
    std::string after;
    while (true) {
      absl::StatusOr<std::vector<storage::ClientRecord>> page = store_.List(after, kListPage);
      if (!page.ok()) return page.status();
      for (const storage::ClientRecord& r : *page) {
        for (const std::string& o : r.client().allowed_cors_origins()) origins.insert(o);
      }
      if (static_cast<int>(page->size()) < kListPage) break;
      after = page->back().client().client_id();
    }
    origins_ = std::move(origins);
    built_ = now;
  }
  return origins_.contains(origin);
}

}  // namespace oauthd
