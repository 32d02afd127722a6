#include "server/core/token_issuer.h"

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

TokenIssuer::TokenIssuer(std::string issuer,
                         std::vector<std::shared_ptr<const jose::SigningKey>> keys,
                         Clock clock, size_t verified_cache_capacity)
    : issuer_(std::move(issuer)), keys_(std::move(keys)), clock_(std::move(clock)),
      verified_(std::make_unique<VerifiedTokenCache>(verified_cache_capacity)) {
  std::vector<jose::VerificationKey> verification;
  for (const auto& key : keys_) {
    public_keys_.push_back(key->public_jwk());
    verification.push_back(jose::VerificationKey::FromSigningKey(*key));
  }
  absl::StatusOr<jose::KeySet> set = jose::KeySet::Create(std::move(verification));
  // Create fails only on duplicate kids, i.e. the same key file given twice;
  // keep an empty set then (nothing verifies) rather than crash.
  key_set_ = std::make_unique<jose::KeySet>(set.ok() ? *std::move(set) : jose::KeySet());
}

TokenIssuer::~TokenIssuer() = default;

std::vector<std::string> TokenIssuer::Algorithms() const {
  std::vector<std::string> out;
  for (const auto& key : keys_) {
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
  absl::StatusOr<std::string> token = jose::EncodeJwt(*keys_.front(), claims);
  if (!token.ok()) return token.status();
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
  absl::StatusOr<jose::VerifiedJwt> jwt = key_set_->VerifyJwt(token, options);
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
