#include "client/lib/verifier.h"

#include "client/lib/revocation_follower.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "server/jose/base64url.h"
#include "server/jose/json_reader.h"
#include "server/jose/jwk.h"
#include "server/jose/jwt.h"
#include "server/jose/jwt_validation.h"
#include "server/jose/key_set.h"

namespace oauthd::client {
namespace {

VerifyError Error(VerifyErrorCode code, absl::string_view message) {
  return VerifyError{code, std::string(message)};
}

jose::Jwk JwkFromProto(const oauth::v1::Jwk& proto) {
  jose::Jwk jwk;
  jwk.kty = proto.kty();
  jwk.kid = proto.kid();
  jwk.use = proto.use();
  jwk.alg = proto.alg();
  jwk.crv = proto.crv();
  jwk.x = proto.x();
  jwk.y = proto.y();
  jwk.n = proto.n();
  jwk.e = proto.e();
  return jwk;
}

// The "kid" of a compact JWS's header, or nullopt if the header cannot be
// read. Only used after a verification failure, so speed does not matter.
std::optional<std::string> HeaderKid(absl::string_view compact) {
  const size_t dot = compact.find('.');
  if (dot == absl::string_view::npos || dot > jose::kMaxJwtHeaderSize) return std::nullopt;
  std::string header_json;
  if (!jose::Base64UrlDecodeTo(compact.substr(0, dot), &header_json)) return std::nullopt;
  absl::StatusOr<google::protobuf::Struct> header = jose::ParseJsonObject(header_json);
  if (!header.ok()) return std::nullopt;
  absl::StatusOr<std::optional<std::string>> kid = jose::GetOptionalString(*header, "kid");
  if (!kid.ok() || !kid->has_value()) return std::nullopt;
  return **kid;
}

VerifyErrorCode CodeOf(jose::ClaimsProblem problem) {
  switch (problem) {
    case jose::ClaimsProblem::kWrongType: return VerifyErrorCode::kWrongType;
    case jose::ClaimsProblem::kWrongIssuer: return VerifyErrorCode::kWrongIssuer;
    case jose::ClaimsProblem::kExpired: return VerifyErrorCode::kExpired;
    case jose::ClaimsProblem::kNotYetValid:
    case jose::ClaimsProblem::kIssuedInFuture: return VerifyErrorCode::kNotYetValid;
    case jose::ClaimsProblem::kMissingClaim:
    case jose::ClaimsProblem::kNone: break;
  }
  return VerifyErrorCode::kMissingClaim;
}

AccessToken ToAccessToken(jose::JwtClaims&& claims) {
  AccessToken token;
  // ValidateAccessTokenClaims has checked that iss, sub, exp, iat, jti,
  // client_id are present and aud is not empty.
  token.issuer = std::move(*claims.iss);
  token.subject = std::move(*claims.sub);
  token.audience = std::move(claims.aud);
  token.client_id = std::move(*claims.client_id);
  if (claims.scope.has_value()) {
    token.scopes = absl::StrSplit(*claims.scope, ' ', absl::SkipEmpty());
  }
  token.token_id = std::move(*claims.jti);
  if (claims.username.has_value()) token.username = std::move(*claims.username);
  if (claims.grant_id.has_value()) token.grant_id = std::move(*claims.grant_id);
  token.expires_at = absl::FromUnixSeconds(*claims.exp);
  token.issued_at = absl::FromUnixSeconds(*claims.iat);
  if (claims.nbf.has_value()) token.not_before = absl::FromUnixSeconds(*claims.nbf);
  return token;
}

}  // namespace

bool AccessToken::HasScope(absl::string_view scope) const {
  return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

absl::string_view VerifyErrorCodeName(VerifyErrorCode code) {
  switch (code) {
    case VerifyErrorCode::kMissingToken: return "missing_token";
    case VerifyErrorCode::kMalformed: return "malformed";
    case VerifyErrorCode::kUnknownKey: return "unknown_key";
    case VerifyErrorCode::kBadSignature: return "bad_signature";
    case VerifyErrorCode::kWrongType: return "wrong_type";
    case VerifyErrorCode::kWrongIssuer: return "wrong_issuer";
    case VerifyErrorCode::kExpired: return "expired";
    case VerifyErrorCode::kNotYetValid: return "not_yet_valid";
    case VerifyErrorCode::kMissingClaim: return "missing_claim";
    case VerifyErrorCode::kWrongAudience: return "wrong_audience";
    case VerifyErrorCode::kInsufficientScope: return "insufficient_scope";
    case VerifyErrorCode::kInactive: return "inactive";
    case VerifyErrorCode::kUnavailable: return "unavailable";
  }
  return "unknown";
}

absl::Status VerifyError::ToStatus() const {
  const std::string text = absl::StrCat(VerifyErrorCodeName(code), ": ", message);
  switch (code) {
    case VerifyErrorCode::kUnavailable: return absl::UnavailableError(text);
    case VerifyErrorCode::kInsufficientScope: return absl::PermissionDeniedError(text);
    default: return absl::UnauthenticatedError(text);
  }
}

absl::string_view VerifyError::BearerErrorCode() const {
  switch (code) {
    case VerifyErrorCode::kMissingToken: return "invalid_request";
    case VerifyErrorCode::kInsufficientScope: return "insufficient_scope";
    case VerifyErrorCode::kUnavailable: return "temporarily_unavailable";
    default: return "invalid_token";
  }
}

absl::Status VerifyResult::status() const {
  return ok() ? absl::OkStatus() : error().ToStatus();
}

absl::StatusOr<std::shared_ptr<Verifier>> Verifier::Create(
    std::shared_ptr<AuthorizationServer> server, VerifierOptions options) {
  if (server == nullptr) return absl::InvalidArgumentError("Verifier needs a server");
  if (options.issuer.empty()) return absl::InvalidArgumentError("Verifier needs an issuer");
  if (options.audience.empty()) return absl::InvalidArgumentError("Verifier needs an audience");
  for (absl::Duration d : {options.leeway, options.jwks_max_age,
                           options.jwks_min_refetch_interval, options.jwks_retry_after_failure,
                           options.introspection_cache_ttl}) {
    if (d < absl::ZeroDuration()) {
      return absl::InvalidArgumentError("Verifier durations must not be negative");
    }
  }
  if ((options.online || options.revocation_feed) && options.introspection_client_id.empty()) {
    return absl::InvalidArgumentError(
        "Verifier online mode and revocation_feed need introspection_client_id (and its "
        "secret)");
  }
  if (options.revocation_feed &&
      options.revocation_feed_max_staleness < absl::Milliseconds(500)) {
    return absl::InvalidArgumentError("revocation_feed_max_staleness must be >= 500ms");
  }
  if (!options.clock) options.clock = SystemClock();
  return std::shared_ptr<Verifier>(new Verifier(std::move(server), std::move(options)));
}

Verifier::Verifier(std::shared_ptr<AuthorizationServer> server, VerifierOptions options)
    : server_(std::move(server)), options_(std::move(options)) {
  if (options_.revocation_feed) {
    follower_ = std::make_unique<RevocationFollower>(
        server_, options_.introspection_client_id, options_.introspection_client_secret,
        options_.revocation_feed_max_staleness);
  }
}

Verifier::~Verifier() = default;

absl::Status Verifier::FetchKeysLocked() {
  fetching_ = true;
  last_fetch_start_ = options_.clock();
  mu_.Unlock();
  jwks_fetches_.fetch_add(1, std::memory_order_relaxed);
  absl::StatusOr<jose::KeySet> fetched = [&]() -> absl::StatusOr<jose::KeySet> {
    absl::StatusOr<oauth::v1::GetJwksResponse> response = server_->GetJwks();
    if (!response.ok()) return response.status();
    std::vector<jose::Jwk> jwks;
    jwks.reserve(response->keys_size());
    for (const oauth::v1::Jwk& key : response->keys()) jwks.push_back(JwkFromProto(key));
    return jose::KeySet::FromJwks(jwks);
  }();
  mu_.Lock();
  fetching_ = false;
  ++generation_;
  if (!fetched.ok()) {
    jwks_fetch_failures_.fetch_add(1, std::memory_order_relaxed);
    last_fetch_error_ = absl::Status(
        fetched.status().code(),
        absl::StrCat("cannot get the JWK Set: ", fetched.status().message()));
    return last_fetch_error_;
  }
  keys_ = std::make_shared<const jose::KeySet>(*std::move(fetched));
  keys_fetched_at_ = last_fetch_start_;
  last_fetch_error_ = absl::OkStatus();
  return absl::OkStatus();
}

void Verifier::AwaitFetchLocked() {
  const int64_t seen = generation_;
  auto done = [this, seen]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return generation_ != seen; };
  mu_.Await(absl::Condition(&done));
}

absl::Status Verifier::RefreshKeys() {
  absl::MutexLock lock(&mu_);
  if (fetching_) {
    AwaitFetchLocked();
    return last_fetch_error_;
  }
  return FetchKeysLocked();
}

absl::StatusOr<Verifier::KeySetPtr> Verifier::CurrentKeys() {
  {
    absl::ReaderMutexLock lock(&mu_);
    if (keys_ != nullptr && options_.clock() - keys_fetched_at_ < options_.jwks_max_age) {
      return keys_;
    }
  }
  absl::MutexLock lock(&mu_);
  const absl::Time now = options_.clock();
  if (keys_ != nullptr) {
    // Stale: one caller refreshes, the others go on with the old keys, which
    // are also kept if the refresh fails.
    if (!fetching_ && now - keys_fetched_at_ >= options_.jwks_max_age &&
        now - last_fetch_start_ >= std::min(options_.jwks_min_refetch_interval,
                                            options_.jwks_max_age)) {
      (void)FetchKeysLocked();
    }
    return keys_;
  }
  if (fetching_) {
    AwaitFetchLocked();
  } else if (last_fetch_error_.ok() ||
             now - last_fetch_start_ >= options_.jwks_retry_after_failure) {
    (void)FetchKeysLocked();
  }
  if (keys_ != nullptr) return keys_;
  return last_fetch_error_.ok() ? absl::UnavailableError("no JWK Set") : last_fetch_error_;
}

Verifier::KeySetPtr Verifier::KeysAfterUnknownKid(const KeySetPtr& seen) {
  absl::MutexLock lock(&mu_);
  if (keys_ != seen) return keys_;
  if (fetching_) {
    AwaitFetchLocked();
    return keys_;
  }
  if (options_.clock() - last_fetch_start_ < options_.jwks_min_refetch_interval) return seen;
  (void)FetchKeysLocked();
  return keys_;
}

VerifyResult Verifier::Verify(absl::string_view token,
                              absl::Span<const absl::string_view> required_scopes) {
  if (token.empty()) return Error(VerifyErrorCode::kMissingToken, "no access token");
  absl::StatusOr<KeySetPtr> keys = CurrentKeys();
  if (!keys.ok()) return Error(VerifyErrorCode::kUnavailable, keys.status().message());

  jose::VerifyJwtOptions jwt_options;
  jwt_options.keep_payload = false;
  absl::StatusOr<jose::VerifiedJwt> jwt = (*keys)->VerifyJwt(token, jwt_options);
  if (!jwt.ok() && absl::IsUnauthenticated(jwt.status())) {
    // Unknown kid: the keys may have rotated since we fetched them.
    std::optional<std::string> kid = HeaderKid(token);
    if (kid.has_value() && !kid->empty() && (*keys)->Find(*kid) == nullptr) {
      KeySetPtr newer = KeysAfterUnknownKid(*keys);
      if (newer != nullptr && newer != *keys) {
        *keys = std::move(newer);
        jwt = (*keys)->VerifyJwt(token, jwt_options);
      }
      if (!jwt.ok() && (*keys)->Find(*kid) == nullptr) {
        return Error(VerifyErrorCode::kUnknownKey, jwt.status().message());
      }
    }
  }
  if (!jwt.ok()) {
    return Error(absl::IsInvalidArgument(jwt.status()) ? VerifyErrorCode::kMalformed
                                                       : VerifyErrorCode::kBadSignature,
                 jwt.status().message());
  }

  jose::ClaimsProblem problem;
  absl::Status claims = jose::ValidateAccessTokenClaims(*jwt, options_.issuer, options_.clock(),
                                                        options_.leeway, &problem);
  if (!claims.ok()) return Error(CodeOf(problem), claims.message());
  if (absl::Status audience = jose::ValidateAudience(*jwt, options_.audience); !audience.ok()) {
    return Error(VerifyErrorCode::kWrongAudience, audience.message());
  }

  AccessToken access_token = ToAccessToken(std::move(jwt->claims));
  std::vector<absl::string_view> missing;
  for (const std::string& scope : options_.required_scopes) {
    if (!access_token.HasScope(scope)) missing.push_back(scope);
  }
  for (absl::string_view scope : required_scopes) {
    if (!access_token.HasScope(scope)) missing.push_back(scope);
  }
  if (!missing.empty()) {
    return Error(VerifyErrorCode::kInsufficientScope,
                 absl::StrCat("token lacks scope \"", absl::StrJoin(missing, " "), "\""));
  }

  if (follower_) {
    if (std::optional<VerifyError> revoked = CheckFeed(access_token)) {
      return *std::move(revoked);
    }
  } else if (options_.online) {
    if (std::optional<VerifyError> inactive = CheckActive(token, access_token)) {
      return *std::move(inactive);
    }
  }
  return access_token;
}

std::optional<VerifyError> Verifier::CheckFeed(const AccessToken& claims) {
  absl::StatusOr<bool> revoked = follower_->Revoked(claims);
  if (!revoked.ok()) {
    return Error(VerifyErrorCode::kUnavailable,
                 absl::StrCat("cannot tell whether the token was revoked: ",
                              revoked.status().message()));
  }
  if (*revoked) return Error(VerifyErrorCode::kInactive, "token is no longer active (revoked)");
  return std::nullopt;
}

std::optional<VerifyError> Verifier::CheckActive(absl::string_view token,
                                                 const AccessToken& claims) {
  {
    absl::MutexLock lock(&cache_mu_);
    const auto it = introspection_cache_.find(claims.token_id);
    if (it != introspection_cache_.end() && options_.clock() < it->second.until) {
      introspection_cache_hits_.fetch_add(1, std::memory_order_relaxed);
      if (it->second.active) return std::nullopt;
      return Error(VerifyErrorCode::kInactive, "token is no longer active (revoked)");
    }
  }
  oauth::v1::IntrospectRequest request;
  request.mutable_client()->set_client_id(options_.introspection_client_id);
  request.mutable_client()->set_client_secret(options_.introspection_client_secret);
  request.set_token(std::string(token));
  request.set_token_type_hint("access_token");
  introspections_.fetch_add(1, std::memory_order_relaxed);
  absl::StatusOr<oauth::v1::IntrospectResponse> response = server_->Introspect(request);
  if (!response.ok()) {
    return Error(VerifyErrorCode::kUnavailable,
                 absl::StrCat("cannot introspect the token: ", response.status().message()));
  }
  const absl::Time now = options_.clock();
  IntrospectionEntry entry;
  entry.active = response->active();
  // A revoked token stays revoked: remember that until it expires anyway.
  entry.until = entry.active ? std::min(now + options_.introspection_cache_ttl, claims.expires_at)
                             : claims.expires_at + options_.leeway;
  {
    absl::MutexLock lock(&cache_mu_);
    if (introspection_cache_.size() >= options_.introspection_cache_size) {
      absl::erase_if(introspection_cache_,
                     [now](const auto& item) { return item.second.until <= now; });
      if (introspection_cache_.size() >= options_.introspection_cache_size) {
        introspection_cache_.clear();
      }
    }
    if (options_.introspection_cache_size > 0) {
      introspection_cache_.insert_or_assign(claims.token_id, entry);
    }
  }
  if (entry.active) return std::nullopt;
  return Error(VerifyErrorCode::kInactive, "token is no longer active (revoked)");
}

Verifier::Stats Verifier::stats() const {
  Stats stats;
  stats.jwks_fetches = jwks_fetches_.load(std::memory_order_relaxed);
  stats.jwks_fetch_failures = jwks_fetch_failures_.load(std::memory_order_relaxed);
  stats.introspections = introspections_.load(std::memory_order_relaxed);
  stats.introspection_cache_hits = introspection_cache_hits_.load(std::memory_order_relaxed);
  return stats;
}

}  // namespace oauthd::client
