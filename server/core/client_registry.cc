#include "server/core/client_registry.h"

#include <algorithm>

#include "server/core/client_secret.h"
#include "server/core/config.h"
#include "server/core/oauth_error.h"
#include "server/core/status_macros.h"
#include "absl/strings/str_cat.h"

namespace oauthd {
namespace {

// Small enough to keep memory bounded against floods of random client ids.
constexpr size_t kMaxCacheEntries = 10000;
constexpr absl::string_view kAuthFailed = "client authentication failed";
// While a stale record is in use, how often the store is tried again.
constexpr absl::Duration kStaleRetryInterval = absl::Seconds(1);

}  // namespace

ClientRegistry::ClientRegistry(storage::ClientStore& store, absl::Duration cache_ttl,
                               Clock clock, const ClientAssertionVerifier* assertions,
                               absl::Duration stale_if_error)
    : store_(store),
      cache_ttl_(cache_ttl),
      stale_if_error_(cache_ttl > absl::ZeroDuration() ? stale_if_error
                                                       : absl::ZeroDuration()),
      clock_(std::move(clock)),
      assertions_(assertions) {}

absl::StatusOr<std::shared_ptr<const storage::ClientRecord>> ClientRegistry::Answer(
    const Entry& entry) {
  if (!entry.record) return InvalidClient(kAuthFailed);
  return entry.record;
}

absl::StatusOr<std::shared_ptr<const storage::ClientRecord>> ClientRegistry::Get(
    absl::string_view client_id) {
  const absl::Time now = clock_();
  if (cache_ttl_ > absl::ZeroDuration()) {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(client_id);
    if (it != cache_.end()) {
      Entry& e = it->second;
      if (e.expires > now) return Answer(e);
      // Someone is reading it again (perhaps waiting for a failover): the
      // old entry serves meanwhile, within its stale bound.
      if (e.refreshing && e.record && e.stale_until > now) return e.record;
      e.refreshing = true;
    }
  }
  absl::StatusOr<std::optional<storage::ClientRecord>> loaded = store_.Get(client_id);
  if (!loaded.ok()) {
    if (cache_ttl_ > absl::ZeroDuration()) {
      absl::MutexLock lock(&mu_);
      auto it = cache_.find(client_id);
      if (it != cache_.end()) {
        Entry& e = it->second;
        e.refreshing = false;
        // Stale-if-error: only a known client, and only when storage cannot
        // answer (not for e.g. an undecodable record). "No such client" is
        // not served stale: it may have been created since, so the caller
        // gets the retryable error.
        const absl::Time after = clock_();
        if (absl::IsUnavailable(loaded.status()) && e.record && e.stale_until > after) {
          // Ask the store again only after a pause: an unreachable Redis can
          // cost each attempt a connect timeout.
          e.expires = std::min(after + std::min(cache_ttl_, kStaleRetryInterval), e.stale_until);
          return e.record;
        }
      }
    }
    return loaded.status();
  }
  std::shared_ptr<const storage::ClientRecord> record;
  if (loaded->has_value()) {
    record = std::make_shared<const storage::ClientRecord>(std::move(**loaded));
  }
  if (cache_ttl_ > absl::ZeroDuration()) {
    absl::MutexLock lock(&mu_);
    if (cache_.size() >= kMaxCacheEntries) {
      // Drop entries past any use; if still full, start over rather than grow.
      absl::erase_if(cache_, [&](const auto& kv) {
        return kv.second.expires <= now && kv.second.stale_until <= now;
      });
      if (cache_.size() >= kMaxCacheEntries) cache_.clear();
    }
    cache_[client_id] = Entry{record, now + cache_ttl_, now + cache_ttl_ + stale_if_error_};
  }
  if (!record) return InvalidClient(kAuthFailed);
  return record;
}

absl::StatusOr<std::shared_ptr<const storage::ClientRecord>>
ClientRegistry::Authenticate(const oauth::v1::ClientAuthentication& auth,
                             absl::string_view endpoint_path) {
  const bool has_assertion = !auth.client_assertion().empty();
  if (has_assertion != !auth.client_assertion_type().empty()) {
    return InvalidRequest("client_assertion and client_assertion_type go together");
  }
  if (has_assertion && !auth.client_secret().empty()) {
    return InvalidRequest(
        "more than one client authentication method (client_secret and client_assertion)");
  }
  if (auth.client_id().size() > kMaxClientIdLength ||
      auth.client_secret().size() > kMaxSecretLength) {
    return InvalidRequest("client_id or client_secret is too long");
  }
  if (has_assertion) {
    if (auth.client_assertion_type() != kJwtBearerAssertionType) {
      // RFC 6749 §5.2: an unsupported authentication method.
      return InvalidClient(absl::StrCat("client_assertion_type must be ",
                                        kJwtBearerAssertionType));
    }
    if (assertions_ == nullptr) return InvalidClient("private_key_jwt is not supported");
    std::string client_id = auth.client_id();
    if (client_id.empty()) {
      ASSIGN_OR_RETURN(client_id,
                       ClientAssertionVerifier::UnverifiedSubject(auth.client_assertion()));
      if (client_id.size() > kMaxClientIdLength) return InvalidClient(kAuthFailed);
    }
    absl::StatusOr<std::shared_ptr<const storage::ClientRecord>> record = Get(client_id);
    if (!record.ok()) return record.status();
    if (!UsesPrivateKeyJwt((*record)->client())) {
      return InvalidClient(kAuthFailed);
    }
    // Checks iss = sub = the record's client id, so a body client_id naming
    // another client than the assertion fails here.
    RETURN_IF_ERROR(assertions_->Verify(**record, auth.client_assertion(), endpoint_path));
    return record;
  }
  // RFC 6749 §5.2: "no client authentication included" is invalid_client.
  if (auth.client_id().empty()) return InvalidClient("client authentication is required");
  absl::StatusOr<std::shared_ptr<const storage::ClientRecord>> record =
      Get(auth.client_id());
  if (!record.ok()) return record.status();
  const oauth::admin::v1::Client& c = (*record)->client();
  if (IsPublicClient(c)) {
    if (!auth.client_secret().empty()) return InvalidClient(kAuthFailed);
    return record;
  }
  if (UsesPrivateKeyJwt(c)) {
    // No secret is registered: whatever was sent is wrong.
    return InvalidClient(kAuthFailed);
  }
  const storage::ClientRecord& r = **record;
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
  // Told only to a caller that knows the secret.
  if (c.token_endpoint_auth_method_enforced() && !auth.client_secret_method().empty() &&
      auth.client_secret_method() != c.token_endpoint_auth_method()) {
    return InvalidClient(absl::StrCat(
        "this client is registered for ", c.token_endpoint_auth_method(),
        c.token_endpoint_auth_method() == "client_secret_basic"
            ? ": send the secret in the Authorization header"
            : ": send the secret as client_secret in the request body"));
  }
  return record;
}

void ClientRegistry::Invalidate(absl::string_view client_id) {
  absl::MutexLock lock(&mu_);
  cache_.erase(client_id);
}

bool UsesPrivateKeyJwt(const oauth::admin::v1::Client& client) {
  return client.token_endpoint_auth_method() == kPrivateKeyJwt;
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
