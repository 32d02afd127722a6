#include "storage/memory/memory_store.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "storage/memory/memory_device_store.h"

namespace oauthd::storage {
namespace {

// Expired entries are dropped when touched and by a sweep at most this often.
constexpr absl::Duration kSweepInterval = absl::Minutes(1);

// Durations are kept at the Redis store's precision (whole milliseconds).
absl::Duration ToStoreTtl(absl::Duration d) {
  return absl::Milliseconds(absl::ToInt64Milliseconds(d));
}

struct CodeEntry {
  AuthorizationCode code;
  bool spent = false;
  absl::Time expires;
};

struct TokenEntry {
  RefreshGrant grant;
  std::optional<int64_t> rotated_at;
  std::string sealed_successor;
  std::string successor_hash;
  std::string successor_scope;
  int64_t successor_expires_at = 0;
  absl::Time expires;
};

// A grant record (the "family"); `grant` holds the grant-wide fields only.
struct FamilyEntry {
  bool revoked = false;
  absl::Time expires;
  RefreshGrant grant;
  int64_t last_used_at = 0;
};

struct OwnerEntry {
  int64_t not_before_ms = 0;
  absl::Time expires;
};

struct CounterEntry {
  int64_t count = 0;
  absl::Time expires;
};

using TokenKey = std::pair<std::string, std::string>;  // family, token hash
using OwnerKey = std::pair<Owner, std::string>;

class MemoryStore;

class MemoryClients final : public ClientStore {
 public:
  explicit MemoryClients(MemoryStore* s) : s_(s) {}
  absl::Status Create(const ClientRecord& record) override;
  absl::Status Update(const ClientRecord& record) override;
  absl::StatusOr<std::optional<ClientRecord>> Get(
      absl::string_view client_id) override;
  absl::Status Delete(absl::string_view client_id) override;
  absl::StatusOr<std::vector<ClientRecord>> List(absl::string_view after,
                                                 int limit) override;

 private:
  MemoryStore* s_;
};

class MemoryUsers final : public UserStore {
 public:
  explicit MemoryUsers(MemoryStore* s) : s_(s) {}
  absl::Status Create(const UserRecord& record) override;
  absl::Status Update(const UserRecord& record) override;
  absl::StatusOr<std::optional<UserRecord>> Get(
      absl::string_view username) override;
  absl::Status Delete(absl::string_view username) override;
  absl::StatusOr<std::vector<UserRecord>> List(absl::string_view after,
                                               int limit) override;

 private:
  MemoryStore* s_;
};

class MemoryCodes final : public CodeStore {
 public:
  explicit MemoryCodes(MemoryStore* s) : s_(s) {}
  absl::Status Save(absl::string_view code_hash, const AuthorizationCode& code,
                    absl::Duration ttl) override;
  absl::StatusOr<RedeemResult> Redeem(absl::string_view code_hash,
                                      const CodeRedemption& request) override;

 private:
  MemoryStore* s_;
};

class MemoryRefreshTokens final : public RefreshTokenStore {
 public:
  explicit MemoryRefreshTokens(MemoryStore* s) : s_(s) {}
  absl::Status Create(absl::string_view token_hash, const RefreshGrant& grant,
                      int64_t ttl_seconds) override;
  absl::StatusOr<RotateResult> Rotate(absl::string_view family_id,
                                      absl::string_view token_hash,
                                      const RefreshRotation& rotation) override;
  absl::StatusOr<std::optional<RefreshTokenState>> Lookup(
      absl::string_view family_id, absl::string_view token_hash) override;
  absl::Status RevokeFamily(absl::string_view family_id) override;
  absl::Status CreateGrant(const RefreshGrant& grant) override;
  absl::StatusOr<std::vector<GrantSummary>> ListGrants(absl::string_view subject,
                                                       int limit) override;

 private:
  MemoryStore* s_;
};

class MemoryRevocations final : public RevocationStore {
 public:
  explicit MemoryRevocations(MemoryStore* s) : s_(s) {}
  absl::Status Revoke(absl::string_view jti, absl::Duration ttl) override;
  absl::StatusOr<bool> IsRevoked(absl::string_view jti) override;
  absl::Status RevokeOwner(Owner owner, absl::string_view id, int64_t not_before_ms,
                           absl::Duration ttl) override;
  absl::StatusOr<int64_t> OwnerNotBefore(Owner owner, absl::string_view id) override;
  absl::StatusOr<RevocationState> Check(const RevocationQuery& query) override;

 private:
  MemoryStore* s_;
};

class MemoryCounters final : public CounterStore {
 public:
  explicit MemoryCounters(MemoryStore* s) : s_(s) {}
  absl::StatusOr<int64_t> Increment(absl::string_view key,
                                    absl::Duration window) override;
  absl::StatusOr<int64_t> Get(absl::string_view key) override;
  absl::Status Reset(absl::string_view key) override;
  absl::Status Decrement(absl::string_view key) override;

 private:
  MemoryStore* s_;
};

class MemoryReplays final : public ReplayStore {
 public:
  explicit MemoryReplays(MemoryStore* s) : s_(s) {}
  absl::StatusOr<bool> MarkUsed(absl::string_view key, absl::Duration ttl) override;

 private:
  MemoryStore* s_;
};

class MemoryStore final : public Store {
 public:
  explicit MemoryStore(StoreClock clock)
      : clock_(std::move(clock)),
        clients_api_(this),
        users_api_(this),
        codes_api_(this),
        refresh_api_(this),
        revocations_api_(this),
        counters_api_(this),
        replays_api_(this),
        devices_api_(memory_internal::NewMemoryDeviceStore(clock_)) {}

  ClientStore& clients() override { return clients_api_; }
  UserStore& users() override { return users_api_; }
  DeviceStore& devices() override { return *devices_api_; }
  CodeStore& codes() override { return codes_api_; }
  RefreshTokenStore& refresh_tokens() override { return refresh_api_; }
  RevocationStore& revocations() override { return revocations_api_; }
  CounterStore& counters() override { return counters_api_; }
  ReplayStore& replays() override { return replays_api_; }
  absl::Status Ping() override { return absl::OkStatus(); }

  // Everything below is used by the per-concern classes in this file.
  absl::Time Now() const { return clock_(); }

  // Drops expired entries now and then. Call with mu held.
  void MaybeSweep(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (now - last_sweep < kSweepInterval) return;
    last_sweep = now;
    absl::erase_if(code_map, [now](const auto& kv) { return kv.second.expires <= now; });
    absl::erase_if(token_map, [now](const auto& kv) { return kv.second.expires <= now; });
    absl::erase_if(family_map, [now](const auto& kv) { return kv.second.expires <= now; });
    absl::erase_if(revoked_map, [now](const auto& kv) { return kv.second <= now; });
    absl::erase_if(owner_map, [now](const auto& kv) { return kv.second.expires <= now; });
    absl::erase_if(counter_map, [now](const auto& kv) { return kv.second.expires <= now; });
    absl::erase_if(used_map, [now](const auto& kv) { return kv.second <= now; });
  }

  // The live family marker, or null (dropping an expired one).
  FamilyEntry* LiveFamily(const std::string& family_id, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    auto it = family_map.find(family_id);
    if (it == family_map.end()) return nullptr;
    if (it->second.expires <= now) {
      family_map.erase(it);
      return nullptr;
    }
    return &it->second;
  }

  TokenEntry* LiveToken(const TokenKey& key, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    auto it = token_map.find(key);
    if (it == token_map.end()) return nullptr;
    if (it->second.expires <= now) {
      token_map.erase(it);
      return nullptr;
    }
    return &it->second;
  }

  absl::Mutex mu;
  std::map<std::string, ClientRecord> client_map ABSL_GUARDED_BY(mu);
  std::map<std::string, UserRecord> user_map ABSL_GUARDED_BY(mu);
  absl::flat_hash_map<std::string, CodeEntry> code_map ABSL_GUARDED_BY(mu);
  absl::flat_hash_map<TokenKey, TokenEntry> token_map ABSL_GUARDED_BY(mu);
  absl::flat_hash_map<std::string, FamilyEntry> family_map ABSL_GUARDED_BY(mu);
  absl::flat_hash_map<std::string, absl::Time> revoked_map ABSL_GUARDED_BY(mu);
  absl::flat_hash_map<OwnerKey, OwnerEntry> owner_map ABSL_GUARDED_BY(mu);
  absl::flat_hash_map<std::string, CounterEntry> counter_map ABSL_GUARDED_BY(mu);
  // ReplayStore: key -> when it may be used again.
  absl::flat_hash_map<std::string, absl::Time> used_map ABSL_GUARDED_BY(mu);
  absl::Time last_sweep ABSL_GUARDED_BY(mu) = absl::InfinitePast();

 private:
  const StoreClock clock_;
  MemoryClients clients_api_;
  MemoryUsers users_api_;
  MemoryCodes codes_api_;
  MemoryRefreshTokens refresh_api_;
  MemoryRevocations revocations_api_;
  MemoryCounters counters_api_;
  MemoryReplays replays_api_;
  const std::unique_ptr<DeviceStore> devices_api_;
};

// ---- clients and users (shared logic over a map keyed by id) -------------

template <typename Record>
absl::Status CreateRecord(std::map<std::string, Record>& map,
                          const std::string& id, const Record& record,
                          absl::string_view what) {
  if (id.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " id is empty"));
  }
  if (!map.emplace(id, record).second) {
    return absl::AlreadyExistsError(absl::StrCat(what, " '", id, "' already exists"));
  }
  return absl::OkStatus();
}

template <typename Record>
absl::Status UpdateRecord(std::map<std::string, Record>& map,
                          const std::string& id, const Record& record,
                          absl::string_view what) {
  if (id.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " id is empty"));
  }
  auto it = map.find(id);
  if (it == map.end()) {
    return absl::NotFoundError(absl::StrCat(what, " '", id, "' not found"));
  }
  it->second = record;
  return absl::OkStatus();
}

template <typename Record>
absl::StatusOr<std::vector<Record>> ListRecords(
    const std::map<std::string, Record>& map, absl::string_view after,
    int limit) {
  if (limit < 1) return absl::InvalidArgumentError("list limit must be >= 1");
  std::vector<Record> out;
  for (auto it = map.upper_bound(std::string(after));
       it != map.end() && static_cast<int>(out.size()) < limit; ++it) {
    out.push_back(it->second);
  }
  return out;
}

absl::Status MemoryClients::Create(const ClientRecord& record) {
  absl::MutexLock lock(&s_->mu);
  return CreateRecord(s_->client_map, record.client().client_id(), record, "client");
}

absl::Status MemoryClients::Update(const ClientRecord& record) {
  absl::MutexLock lock(&s_->mu);
  return UpdateRecord(s_->client_map, record.client().client_id(), record, "client");
}

absl::StatusOr<std::optional<ClientRecord>> MemoryClients::Get(
    absl::string_view client_id) {
  absl::MutexLock lock(&s_->mu);
  auto it = s_->client_map.find(std::string(client_id));
  if (it == s_->client_map.end()) return std::nullopt;
  return it->second;
}

absl::Status MemoryClients::Delete(absl::string_view client_id) {
  absl::MutexLock lock(&s_->mu);
  if (s_->client_map.erase(std::string(client_id)) == 0) {
    return absl::NotFoundError(absl::StrCat("client '", client_id, "' not found"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ClientRecord>> MemoryClients::List(
    absl::string_view after, int limit) {
  absl::MutexLock lock(&s_->mu);
  return ListRecords(s_->client_map, after, limit);
}

absl::Status MemoryUsers::Create(const UserRecord& record) {
  absl::MutexLock lock(&s_->mu);
  return CreateRecord(s_->user_map, record.user().username(), record, "user");
}

absl::Status MemoryUsers::Update(const UserRecord& record) {
  absl::MutexLock lock(&s_->mu);
  return UpdateRecord(s_->user_map, record.user().username(), record, "user");
}

absl::StatusOr<std::optional<UserRecord>> MemoryUsers::Get(
    absl::string_view username) {
  absl::MutexLock lock(&s_->mu);
  auto it = s_->user_map.find(std::string(username));
  if (it == s_->user_map.end()) return std::nullopt;
  return it->second;
}

absl::Status MemoryUsers::Delete(absl::string_view username) {
  absl::MutexLock lock(&s_->mu);
  if (s_->user_map.erase(std::string(username)) == 0) {
    return absl::NotFoundError(absl::StrCat("user '", username, "' not found"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<UserRecord>> MemoryUsers::List(
    absl::string_view after, int limit) {
  absl::MutexLock lock(&s_->mu);
  return ListRecords(s_->user_map, after, limit);
}

// ---- authorization codes --------------------------------------------------

absl::Status MemoryCodes::Save(absl::string_view code_hash,
                               const AuthorizationCode& code,
                               absl::Duration ttl) {
  if (code_hash.empty()) return absl::InvalidArgumentError("code hash is empty");
  ttl = ToStoreTtl(ttl);
  if (ttl < absl::Milliseconds(1)) {
    return absl::InvalidArgumentError("code TTL must be at least 1 ms");
  }
  absl::MutexLock lock(&s_->mu);
  const absl::Time now = s_->Now();
  s_->MaybeSweep(now);
  auto [it, inserted] = s_->code_map.try_emplace(std::string(code_hash));
  if (!inserted) {
    if (it->second.expires > now) {
      return absl::AlreadyExistsError("authorization code hash collision");
    }
    it->second = CodeEntry();
  }
  it->second.code = code;
  it->second.expires = now + ttl;
  return absl::OkStatus();
}

absl::StatusOr<RedeemResult> MemoryCodes::Redeem(absl::string_view code_hash,
                                                 const CodeRedemption& request) {
  using Outcome = RedeemResult::Outcome;
  RedeemResult result;
  absl::MutexLock lock(&s_->mu);
  const absl::Time now = s_->Now();
  auto it = s_->code_map.find(std::string(code_hash));
  if (it == s_->code_map.end()) {
    result.outcome = Outcome::kNotFound;
    return result;
  }
  if (it->second.expires <= now) {
    s_->code_map.erase(it);
    result.outcome = Outcome::kNotFound;
    return result;
  }
  CodeEntry& entry = it->second;
  const AuthorizationCode& code = entry.code;
  if (entry.spent) {
    result.outcome = Outcome::kAlreadyRedeemed;
    result.code = code;
    return result;
  }
  if (code.client_id != request.client_id) {
    result.outcome = Outcome::kClientMismatch;
    return result;
  }
  if (code.redirect_uri_in_request && code.redirect_uri != request.redirect_uri) {
    result.outcome = Outcome::kRedirectMismatch;
    return result;
  }
  bool verifier_ok;
  if (code.code_challenge.empty()) {
    verifier_ok = request.code_verifier.empty();
  } else if (request.code_verifier.empty()) {
    verifier_ok = false;
  } else if (code.code_challenge_method == "S256") {
    verifier_ok = request.code_verifier_s256 == code.code_challenge;
  } else if (code.code_challenge_method == "plain") {
    verifier_ok = request.code_verifier == code.code_challenge;
  } else {
    verifier_ok = false;  // unknown method: fail closed
  }
  if (!verifier_ok) {
    result.outcome = Outcome::kVerifierMismatch;
    return result;
  }
  entry.spent = true;
  result.outcome = Outcome::kRedeemed;
  result.code = code;
  return result;
}

// ---- refresh tokens --------------------------------------------------------

absl::Status MemoryRefreshTokens::Create(absl::string_view token_hash,
                                         const RefreshGrant& grant,
                                         int64_t ttl_seconds) {
  if (token_hash.empty()) return absl::InvalidArgumentError("token hash is empty");
  if (grant.family_id.empty()) return absl::InvalidArgumentError("family id is empty");
  if (ttl_seconds <= 0) return absl::InvalidArgumentError("token TTL must be > 0");
  if (grant.expires_at <= 0 || grant.family_expires_at <= 0) {
    return absl::InvalidArgumentError("expires_at and family_expires_at must be set");
  }
  absl::MutexLock lock(&s_->mu);
  const absl::Time now = s_->Now();
  s_->MaybeSweep(now);
  FamilyEntry* family = s_->LiveFamily(grant.family_id, now);
  if (family != nullptr && family->revoked) {
    return absl::FailedPreconditionError("refresh token family is revoked");
  }
  TokenKey key(grant.family_id, std::string(token_hash));
  if (s_->LiveToken(key, now) != nullptr) {
    return absl::AlreadyExistsError("refresh token hash collision");
  }
  if (family == nullptr) {
    const absl::Time grant_end = absl::FromUnixSeconds(
        grant.grant_expires_at > 0 ? grant.grant_expires_at : grant.family_expires_at);
    if (grant_end > now) {
      s_->family_map[grant.family_id] = {false, grant_end, grant, grant.issued_at};
    }
  }
  TokenEntry& entry = s_->token_map[key];
  entry = TokenEntry();
  entry.grant = grant;
  entry.expires = now + absl::Seconds(ttl_seconds);
  return absl::OkStatus();
}

absl::StatusOr<RotateResult> MemoryRefreshTokens::Rotate(
    absl::string_view family_id, absl::string_view token_hash,
    const RefreshRotation& rotation) {
  using Outcome = RotateResult::Outcome;
  if (family_id.empty()) return absl::InvalidArgumentError("family id is empty");
  if (rotation.successor_hash.empty() || rotation.successor_hash == token_hash) {
    return absl::InvalidArgumentError("successor hash is empty or not new");
  }
  if (rotation.successor_ttl_seconds <= 0) {
    return absl::InvalidArgumentError("successor TTL must be > 0");
  }
  if (rotation.grace_seconds < 0 || rotation.retry_grace_seconds < 0) {
    return absl::InvalidArgumentError("grace must be >= 0");
  }
  RotateResult result;
  result.outcome = Outcome::kNotFound;
  absl::MutexLock lock(&s_->mu);
  const absl::Time now = s_->Now();
  s_->MaybeSweep(now);
  const std::string family(family_id);
  FamilyEntry* marker = s_->LiveFamily(family, now);
  if (marker == nullptr || marker->revoked) return result;
  TokenEntry* token = s_->LiveToken(TokenKey(family, std::string(token_hash)), now);
  if (token == nullptr) return result;
  const RefreshGrant& grant = token->grant;
  if (grant.client_id != rotation.client_id) {
    result.outcome = Outcome::kClientMismatch;
    return result;
  }
  // Scope: every requested token must be granted; "" keeps the grant.
  absl::flat_hash_set<absl::string_view> granted =
      absl::StrSplit(grant.scope, ' ', absl::SkipEmpty());
  std::vector<absl::string_view> requested;
  absl::flat_hash_set<absl::string_view> seen;
  for (absl::string_view s :
       absl::StrSplit(rotation.requested_scope, ' ', absl::SkipEmpty())) {
    if (!granted.contains(s)) {
      result.outcome = Outcome::kScopeWidened;
      return result;
    }
    if (seen.insert(s).second) requested.push_back(s);
  }
  // RFC 6749 §6: the successor keeps the grant's scope; a narrower request
  // narrows only the access token, which the caller mints.
  const std::string& new_scope = grant.scope;
  const int64_t t = rotation.now;
  if (grant.expires_at <= t || grant.family_expires_at <= t) return result;

  if (!token->rotated_at.has_value()) {
    TokenKey successor_key(family, rotation.successor_hash);
    if (s_->LiveToken(successor_key, now) != nullptr) {
      return absl::AlreadyExistsError("refresh token hash collision");
    }
    const int64_t ttl =
        std::min(rotation.successor_ttl_seconds, grant.family_expires_at - t);
    RefreshGrant next = grant;
    next.family_id = family;
    next.scope = new_scope;
    next.granted_at_ms = marker->grant.granted_at_ms;
    next.issued_at = t;
    next.expires_at = t + ttl;
    token->rotated_at = t;
    token->sealed_successor = rotation.sealed_successor;
    token->successor_hash = rotation.successor_hash;
    token->successor_scope = new_scope;
    token->successor_expires_at = next.expires_at;
    marker->last_used_at = t;
    // `token` may dangle after inserting below; nothing reads it afterwards.
    TokenEntry& created = s_->token_map[successor_key];
    created = TokenEntry();
    created.grant = next;
    created.expires = now + absl::Seconds(ttl);
    result.outcome = Outcome::kRotated;
    result.grant = std::move(next);
    return result;
  }
  if (token->successor_hash == rotation.successor_hash) {
    // The same call again (its answer was lost): the same rotation.
    result.outcome = Outcome::kRotated;
    result.grant = grant;
    result.grant.family_id = family;
    result.grant.scope = token->successor_scope;
    result.grant.issued_at = *token->rotated_at;
    result.grant.expires_at = token->successor_expires_at;
    result.grant.granted_at_ms = marker->grant.granted_at_ms;
    return result;
  }
  const int64_t since_rotation = t - *token->rotated_at;
  bool replay = rotation.grace_seconds > 0 && since_rotation <= rotation.grace_seconds;
  if (!replay && rotation.retry_grace_seconds > 0 &&
      since_rotation <= rotation.retry_grace_seconds) {
    // A retry after a lost answer, as long as the successor was never used.
    // (Erasing an expired successor moves no other element: `token` stays.)
    const TokenEntry* successor =
        s_->LiveToken(TokenKey(family, token->successor_hash), now);
    replay = successor != nullptr && !successor->rotated_at.has_value();
  }
  if (replay) {
    result.outcome = Outcome::kGraceReplay;
    result.grant = grant;
    result.grant.family_id = family;
    result.grant.scope = token->successor_scope;
    result.grant.issued_at = *token->rotated_at;
    result.grant.expires_at = token->successor_expires_at;
    result.grant.granted_at_ms = marker->grant.granted_at_ms;
    result.sealed_successor = token->sealed_successor;
    return result;
  }
  marker->revoked = true;  // keeps its expiry
  result.outcome = Outcome::kReuseDetected;
  result.grant = grant;
  result.grant.family_id = family;
  result.grant.granted_at_ms = marker->grant.granted_at_ms;
  return result;
}

absl::StatusOr<std::optional<RefreshTokenState>> MemoryRefreshTokens::Lookup(
    absl::string_view family_id, absl::string_view token_hash) {
  if (family_id.empty()) return absl::InvalidArgumentError("family id is empty");
  absl::MutexLock lock(&s_->mu);
  const absl::Time now = s_->Now();
  const std::string family(family_id);
  FamilyEntry* marker = s_->LiveFamily(family, now);
  if (marker == nullptr || marker->revoked) return std::nullopt;
  TokenEntry* token = s_->LiveToken(TokenKey(family, std::string(token_hash)), now);
  if (token == nullptr) return std::nullopt;
  RefreshTokenState state;
  state.grant = token->grant;
  state.grant.family_id = family;
  state.grant.granted_at_ms = marker->grant.granted_at_ms;
  state.rotated = token->rotated_at.has_value();
  return state;
}

absl::Status MemoryRefreshTokens::RevokeFamily(absl::string_view family_id) {
  if (family_id.empty()) return absl::InvalidArgumentError("family id is empty");
  absl::MutexLock lock(&s_->mu);
  const absl::Time now = s_->Now();
  s_->MaybeSweep(now);
  const std::string family(family_id);
  FamilyEntry* marker = s_->LiveFamily(family, now);
  if (marker != nullptr) {
    marker->revoked = true;
  } else {
    FamilyEntry& entry = s_->family_map[family];
    entry = FamilyEntry();
    entry.revoked = true;
    entry.expires = now + kUnknownFamilyRevocationTtl;
  }
  return absl::OkStatus();
}

absl::Status MemoryRefreshTokens::CreateGrant(const RefreshGrant& grant) {
  if (grant.family_id.empty()) return absl::InvalidArgumentError("grant id is empty");
  if (grant.grant_expires_at <= 0) {
    return absl::InvalidArgumentError("grant_expires_at must be set");
  }
  absl::MutexLock lock(&s_->mu);
  const absl::Time now = s_->Now();
  s_->MaybeSweep(now);
  if (FamilyEntry* existing = s_->LiveFamily(grant.family_id, now)) {
    if (existing->revoked) return absl::FailedPreconditionError("grant is revoked");
    return absl::AlreadyExistsError("grant exists");
  }
  const absl::Time end = absl::FromUnixSeconds(grant.grant_expires_at);
  if (end > now) {
    s_->family_map[grant.family_id] = {false, end, grant, grant.issued_at};
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<GrantSummary>> MemoryRefreshTokens::ListGrants(
    absl::string_view subject, int limit) {
  if (subject.empty()) return absl::InvalidArgumentError("subject is empty");
  if (limit < 1) return absl::InvalidArgumentError("list limit must be >= 1");
  absl::MutexLock lock(&s_->mu);
  const absl::Time now = s_->Now();
  s_->MaybeSweep(now);
  std::vector<GrantSummary> out;
  for (const auto& [id, entry] : s_->family_map) {
    if (entry.revoked || entry.expires <= now || entry.grant.subject != subject) continue;
    GrantSummary g;
    g.grant_id = id;
    g.client_id = entry.grant.client_id;
    g.scope = entry.grant.scope;
    g.granted_at_ms = entry.grant.granted_at_ms;
    g.last_used_at = entry.last_used_at;
    g.expires_at = absl::ToUnixSeconds(entry.expires);
    out.push_back(std::move(g));
  }
  // By end, then id: the order of the Redis store's index.
  std::sort(out.begin(), out.end(), [](const GrantSummary& a, const GrantSummary& b) {
    return std::tie(a.expires_at, a.grant_id) < std::tie(b.expires_at, b.grant_id);
  });
  if (out.size() > static_cast<size_t>(limit)) out.resize(limit);
  return out;
}

// ---- revocations -----------------------------------------------------------

absl::Status MemoryRevocations::Revoke(absl::string_view jti, absl::Duration ttl) {
  if (jti.empty()) return absl::InvalidArgumentError("jti is empty");
  ttl = ToStoreTtl(ttl);
  if (ttl < absl::Milliseconds(1)) {
    return absl::InvalidArgumentError("revocation TTL must be at least 1 ms");
  }
  absl::MutexLock lock(&s_->mu);
  const absl::Time now = s_->Now();
  s_->MaybeSweep(now);
  s_->revoked_map[std::string(jti)] = now + ttl;
  return absl::OkStatus();
}

absl::StatusOr<bool> MemoryRevocations::IsRevoked(absl::string_view jti) {
  if (jti.empty()) return absl::InvalidArgumentError("jti is empty");
  absl::MutexLock lock(&s_->mu);
  auto it = s_->revoked_map.find(std::string(jti));
  if (it == s_->revoked_map.end()) return false;
  if (it->second <= s_->Now()) {
    s_->revoked_map.erase(it);
    return false;
  }
  return true;
}

absl::Status MemoryRevocations::RevokeOwner(Owner owner, absl::string_view id,
                                             int64_t not_before_ms, absl::Duration ttl) {
  if (id.empty()) return absl::InvalidArgumentError("owner id is empty");
  if (not_before_ms <= 0) return absl::InvalidArgumentError("not_before must be > 0");
  ttl = ToStoreTtl(ttl);
  if (ttl < absl::Milliseconds(1)) {
    return absl::InvalidArgumentError("owner revocation TTL must be at least 1 ms");
  }
  absl::MutexLock lock(&s_->mu);
  const absl::Time now = s_->Now();
  s_->MaybeSweep(now);
  OwnerEntry& entry = s_->owner_map[OwnerKey(owner, std::string(id))];
  if (entry.expires <= now) entry = OwnerEntry();
  entry.not_before_ms = std::max(entry.not_before_ms, not_before_ms);
  entry.expires = now + ttl;
  return absl::OkStatus();
}

absl::StatusOr<int64_t> MemoryRevocations::OwnerNotBefore(Owner owner,
                                                          absl::string_view id) {
  if (id.empty()) return absl::InvalidArgumentError("owner id is empty");
  absl::MutexLock lock(&s_->mu);
  auto it = s_->owner_map.find(OwnerKey(owner, std::string(id)));
  if (it == s_->owner_map.end() || it->second.expires <= s_->Now()) return 0;
  return it->second.not_before_ms;
}

absl::StatusOr<RevocationState> MemoryRevocations::Check(const RevocationQuery& q) {
  absl::MutexLock lock(&s_->mu);
  const absl::Time now = s_->Now();
  RevocationState state;
  if (!q.jti.empty()) {
    auto it = s_->revoked_map.find(q.jti);
    state.jti_revoked = it != s_->revoked_map.end() && it->second > now;
  }
  if (!q.grant_id.empty()) {
    if (const FamilyEntry* grant = s_->LiveFamily(q.grant_id, now)) {
      state.grant_found = true;
      state.grant_revoked = grant->revoked;
      state.granted_at_ms = grant->grant.granted_at_ms;
    }
  }
  auto owner_ms = [&](Owner owner, const std::string& id) -> int64_t {
    if (id.empty()) return 0;
    auto it = s_->owner_map.find(OwnerKey(owner, id));
    return it == s_->owner_map.end() || it->second.expires <= now
               ? 0
               : it->second.not_before_ms;
  };
  state.user_not_before_ms = owner_ms(Owner::kUser, q.user_subject);
  state.client_not_before_ms = owner_ms(Owner::kClient, q.client_id);
  return state;
}

// ---- one-time values ---------------------------------------------------------

absl::StatusOr<bool> MemoryReplays::MarkUsed(absl::string_view key, absl::Duration ttl) {
  if (key.empty()) return absl::InvalidArgumentError("replay key is empty");
  ttl = ToStoreTtl(ttl);
  if (ttl < absl::Milliseconds(1)) {
    return absl::InvalidArgumentError("replay ttl must be at least 1 ms");
  }
  absl::MutexLock lock(&s_->mu);
  const absl::Time now = s_->Now();
  s_->MaybeSweep(now);
  auto [it, inserted] = s_->used_map.try_emplace(std::string(key), now + ttl);
  if (inserted) return true;
  if (it->second <= now) {
    it->second = now + ttl;
    return true;
  }
  return false;
}

// ---- counters --------------------------------------------------------------

absl::StatusOr<int64_t> MemoryCounters::Increment(absl::string_view key,
                                                  absl::Duration window) {
  if (key.empty()) return absl::InvalidArgumentError("counter key is empty");
  window = ToStoreTtl(window);
  if (window < absl::Milliseconds(1)) {
    return absl::InvalidArgumentError("counter window must be at least 1 ms");
  }
  absl::MutexLock lock(&s_->mu);
  const absl::Time now = s_->Now();
  s_->MaybeSweep(now);
  CounterEntry& entry = s_->counter_map[std::string(key)];
  if (entry.count == 0 || entry.expires <= now) {
    entry.count = 0;
    entry.expires = now + window;
  }
  return ++entry.count;
}

absl::StatusOr<int64_t> MemoryCounters::Get(absl::string_view key) {
  if (key.empty()) return absl::InvalidArgumentError("counter key is empty");
  absl::MutexLock lock(&s_->mu);
  auto it = s_->counter_map.find(std::string(key));
  if (it == s_->counter_map.end()) return 0;
  if (it->second.expires <= s_->Now()) {
    s_->counter_map.erase(it);
    return 0;
  }
  return it->second.count;
}

absl::Status MemoryCounters::Reset(absl::string_view key) {
  if (key.empty()) return absl::InvalidArgumentError("counter key is empty");
  absl::MutexLock lock(&s_->mu);
  s_->counter_map.erase(std::string(key));
  return absl::OkStatus();
}

absl::Status MemoryCounters::Decrement(absl::string_view key) {
  if (key.empty()) return absl::InvalidArgumentError("counter key is empty");
  absl::MutexLock lock(&s_->mu);
  auto it = s_->counter_map.find(std::string(key));
  if (it == s_->counter_map.end()) return absl::OkStatus();
  if (it->second.expires <= s_->Now()) {
    s_->counter_map.erase(it);
    return absl::OkStatus();
  }
  if (it->second.count > 0) --it->second.count;
  return absl::OkStatus();
}

}  // namespace

std::unique_ptr<Store> NewMemoryStore(StoreClock clock) {
  if (!clock) clock = [] { return absl::Now(); };
  return std::make_unique<MemoryStore>(std::move(clock));
}

}  // namespace oauthd::storage
