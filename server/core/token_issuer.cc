#include "server/core/token_issuer.h"

#include <algorithm>

#include "server/core/scope.h"
#include "server/core/timed_id.h"
#include "server/core/verified_token_cache.h"
#include "server/jose/jwt.h"
#include "server/jose/jwt_validation.h"
#include "server/jose/verification_key.h"

namespace oauthd {
namespace {

// The issue instant a jti carries (timed_id.h) when it agrees with `iat`;
// iat * 1000 otherwise (a token minted before jtis carried the time).
int64_t IssuedAtMs(absl::string_view jti, int64_t iat) {
  std::optional<int64_t> ms = TimedIdInstantMs(jti);
  return ms && *ms / 1000 == iat ? *ms : iat * 1000;
}

}  // namespace

struct TokenIssuer::Epoch {
  std::shared_ptr<const jose::SigningKey> signer;
  std::shared_ptr<std::atomic<int64_t>> signer_latest_exp;
  std::vector<std::shared_ptr<const jose::SigningKey>> keys;
  std::vector<jose::Jwk> public_keys;
  jose::KeySet key_set;
};

namespace {
std::atomic<uint64_t> next_issuer_id{1};
}  // namespace

TokenIssuer::TokenIssuer(std::string issuer,
                         std::vector<std::shared_ptr<const jose::SigningKey>> keys,
                         Clock clock, size_t verified_cache_capacity)
    : issuer_(std::move(issuer)), clock_(std::move(clock)),
      id_(next_issuer_id.fetch_add(1)),
      verified_(std::make_unique<VerifiedTokenCache>(verified_cache_capacity)) {
  absl::MutexLock lock(&mu_);
  std::shared_ptr<const jose::SigningKey> signer = keys.empty() ? nullptr : keys.front();
  absl::StatusOr<std::shared_ptr<const Epoch>> epoch = MakeEpoch(keys, signer);
  if (epoch.ok()) {
    epoch_ = *std::move(epoch);
  } else {
    // Only duplicate kids (the same key file given twice) get here: keep the
    // signer and an empty verification set (nothing verifies) rather than
    // crash.
    auto fallback = std::make_shared<Epoch>();
    fallback->signer = signer;
    fallback->signer_latest_exp = std::make_shared<std::atomic<int64_t>>(0);
    fallback->keys = keys;
    for (const auto& key : keys) fallback->public_keys.push_back(key->public_jwk());
    epoch_ = std::move(fallback);
  }
}

TokenIssuer::~TokenIssuer() = default;

absl::StatusOr<std::shared_ptr<const TokenIssuer::Epoch>> TokenIssuer::MakeEpoch(
    std::vector<std::shared_ptr<const jose::SigningKey>> published,
    const std::shared_ptr<const jose::SigningKey>& signer) {
  if (published.empty() || signer == nullptr) {
    return absl::InvalidArgumentError("no signing key");
  }
  auto epoch = std::make_shared<Epoch>();
  std::vector<jose::VerificationKey> verification;
  bool has_signer = false;
  for (const auto& key : published) {
    epoch->public_keys.push_back(key->public_jwk());
    verification.push_back(jose::VerificationKey::FromSigningKey(*key));
    has_signer = has_signer || key->kid() == signer->kid();
  }
  if (!has_signer) return absl::InvalidArgumentError("the signing key is not published");
  absl::StatusOr<jose::KeySet> set = jose::KeySet::Create(std::move(verification));
  if (!set.ok()) return set.status();
  epoch->key_set = *std::move(set);
  epoch->keys = std::move(published);
  epoch->signer = signer;
  auto& latest = latest_exp_[signer->kid()];
  if (latest == nullptr) latest = std::make_shared<std::atomic<int64_t>>(0);
  epoch->signer_latest_exp = latest;
  return std::shared_ptr<const Epoch>(std::move(epoch));
}

absl::Status TokenIssuer::SetKeys(std::vector<std::shared_ptr<const jose::SigningKey>> published,
                                  const std::shared_ptr<const jose::SigningKey>& signer) {
  bool removed = false;
  {
    absl::MutexLock lock(&mu_);
    absl::StatusOr<std::shared_ptr<const Epoch>> epoch = MakeEpoch(std::move(published), signer);
    if (!epoch.ok()) return epoch.status();
    for (const auto& old : epoch_->keys) {
      if ((*epoch)->key_set.Find(old->kid()) == nullptr) removed = true;
    }
    epoch_ = *std::move(epoch);
    version_.fetch_add(1, std::memory_order_release);
  }
  // Tokens remembered as verified may be signed by a key that is gone.
  if (removed) verified_->Clear();
  return absl::OkStatus();
}

const TokenIssuer::Epoch& TokenIssuer::Current() const {
  struct Cached {
    uint64_t issuer = 0;
    uint64_t version = 0;
    std::shared_ptr<const Epoch> epoch;
  };
  thread_local Cached cached;
  const uint64_t version = version_.load(std::memory_order_acquire);
  if (cached.issuer != id_ || cached.version != version || cached.epoch == nullptr) {
    absl::MutexLock lock(&mu_);
    cached.issuer = id_;
    cached.version = version_.load(std::memory_order_relaxed);
    cached.epoch = epoch_;
  }
  return *cached.epoch;
}

std::vector<jose::Jwk> TokenIssuer::PublicKeys() const { return Current().public_keys; }

std::string TokenIssuer::SigningKid() const {
  const Epoch& epoch = Current();
  return epoch.signer ? epoch.signer->kid() : "";
}

int64_t TokenIssuer::LatestExpiry(absl::string_view kid) const {
  absl::MutexLock lock(&mu_);
  auto it = latest_exp_.find(kid);
  return it == latest_exp_.end() ? 0 : it->second->load(std::memory_order_relaxed);
}

std::vector<std::string> TokenIssuer::Algorithms() const {
  std::vector<std::string> out;
  for (const auto& key : Current().keys) {
    std::string name(jose::AlgorithmName(key->alg()));
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }
  return out;
}

absl::StatusOr<MintedAccessToken> TokenIssuer::Mint(const Authorization& authz,
                                                    absl::Duration ttl) const {
  const absl::Time issued = clock_();
  const int64_t now_ms = absl::ToUnixMillis(issued);
  const int64_t now = now_ms / 1000;
  jose::AccessTokenClaims claims;
  claims.iss = issuer_;
  claims.sub = authz.subject;
  claims.aud = authz.audiences;
  claims.iat = now;
  claims.exp = now + absl::ToInt64Seconds(ttl);
  claims.jti = NewTimedId(now_ms);
  claims.client_id = authz.client_id;
  claims.scope = JoinScope(authz.scopes);
  claims.username = authz.username;
  claims.grant_id = authz.grant_id;
  const Epoch& epoch = Current();
  absl::StatusOr<std::string> token = jose::EncodeJwt(*epoch.signer, claims);
  if (!token.ok()) return token.status();
  // Remember how long this key's tokens live (signing_key_ring.h keeps a
  // removed key published until then). A write only when exp grows, i.e.
  // about once a second: no contention between requests.
  std::atomic<int64_t>& latest = *epoch.signer_latest_exp;
  int64_t seen = latest.load(std::memory_order_relaxed);
  while (claims.exp > seen &&
         !latest.compare_exchange_weak(seen, claims.exp, std::memory_order_relaxed)) {
  }
  MintedAccessToken out;
  out.token = *std::move(token);
  out.jti = std::move(claims.jti);
  out.issued_at = claims.iat;
  out.expires_at = claims.exp;
  return out;
}

std::optional<AccessTokenInfo> TokenIssuer::Verify(absl::string_view token,
                                                   absl::Duration leeway) const {
  const absl::Time now = clock_();
  if (std::optional<AccessTokenInfo> seen = verified_->Find(token, now, leeway)) return seen;
  // Only the typed claims are needed: skip building the generic payload.
  jose::VerifyJwtOptions options;
  options.keep_payload = false;
  absl::StatusOr<jose::VerifiedJwt> jwt = Current().key_set.VerifyJwt(token, options);
  if (!jwt.ok()) return std::nullopt;
  if (!jose::ValidateAccessTokenClaims(*jwt, issuer_, now, leeway).ok()) {
    return std::nullopt;
  }
  const jose::JwtClaims& c = jwt->claims;
  if (!c.jti || !c.client_id || !c.sub || !c.exp) return std::nullopt;
  AccessTokenInfo info;
  info.iss = c.iss.value_or("");
  info.sub = *c.sub;
  info.aud = c.aud;
  info.exp = *c.exp;
  info.iat = c.iat.value_or(0);
  info.nbf = c.nbf.value_or(0);
  info.jti = *c.jti;
  info.client_id = *c.client_id;
  info.scope = c.scope.value_or("");
  info.username = c.username.value_or("");
  info.grant_id = c.grant_id.value_or("");
  info.issued_at_ms = IssuedAtMs(info.jti, info.iat);
  verified_->Insert(token, info, now);
  return info;
}

}  // namespace oauthd
