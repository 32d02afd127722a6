#include "client/lib/grpc_auth.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/rpc/status.pb.h"
#include "oauth/v1/error.pb.h"

namespace oauthd::client {
namespace {

absl::string_view View(grpc::string_ref ref) { return absl::string_view(ref.data(), ref.size()); }

class TokenSourcePlugin final : public grpc::MetadataCredentialsPlugin {
 public:
  explicit TokenSourcePlugin(std::shared_ptr<TokenSource> source) : source_(std::move(source)) {}

  bool IsBlocking() const override { return true; }
  const char* GetType() const override { return "oauthd.TokenSource"; }
  std::string DebugString() override { return "TokenSourceCallCredentials"; }

  grpc::Status GetMetadata(grpc::string_ref /*service_url*/, grpc::string_ref /*method_name*/,
                           const grpc::AuthContext& /*channel_auth_context*/,
                           std::multimap<std::string, std::string>* metadata) override {
    absl::StatusOr<Token> token = source_->GetToken();
    if (!token.ok()) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          absl::StrCat("cannot get an access token: ", token.status().message()));
    }
    metadata->emplace("authorization", absl::StrCat("Bearer ", token->access_token));
    return grpc::Status::OK;
  }

 private:
  std::shared_ptr<TokenSource> source_;
};

}  // namespace

std::shared_ptr<grpc::CallCredentials> TokenSourceCallCredentials(
    std::shared_ptr<TokenSource> source, TokenCredentialsOptions options) {
  return grpc::experimental::MetadataCredentialsFromPlugin(
      std::make_unique<TokenSourcePlugin>(std::move(source)),
      options.allow_insecure_transport ? GRPC_SECURITY_NONE : GRPC_PRIVACY_AND_INTEGRITY);
}

std::optional<VerifyError> ExtractBearerToken(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata, std::string* token) {
  const auto [begin, end] = metadata.equal_range("authorization");
  if (begin == end) {
    return VerifyError{VerifyErrorCode::kMissingToken, "no \"authorization\" metadata"};
  }
  if (std::next(begin) != end) {
    return VerifyError{VerifyErrorCode::kMalformed, "more than one \"authorization\" metadata"};
  }
  absl::string_view value = absl::StripAsciiWhitespace(View(begin->second));
  constexpr absl::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size() ||
      !absl::EqualsIgnoreCase(value.substr(0, kScheme.size()), kScheme)) {
    return VerifyError{VerifyErrorCode::kMissingToken,
                       "\"authorization\" metadata is not a Bearer credential"};
  }
  value = absl::StripLeadingAsciiWhitespace(value.substr(kScheme.size()));
  if (value.empty() || value.find_first_of(" \t") != absl::string_view::npos) {
    return VerifyError{VerifyErrorCode::kMalformed, "malformed Bearer credential"};
  }
  token->assign(value.data(), value.size());
  return std::nullopt;
}

grpc::Status ToGrpcStatus(const VerifyError& error) {
  grpc::StatusCode code = grpc::StatusCode::UNAUTHENTICATED;
  if (error.code == VerifyErrorCode::kInsufficientScope) {
    code = grpc::StatusCode::PERMISSION_DENIED;
  } else if (error.code == VerifyErrorCode::kUnavailable) {
    code = grpc::StatusCode::UNAVAILABLE;
  }
  const std::string message = absl::StrCat(VerifyErrorCodeName(error.code), ": ", error.message);
  oauth::v1::OAuthError oauth_error;
  oauth_error.set_error(std::string(error.BearerErrorCode()));
  oauth_error.set_error_description(message);
  google::rpc::Status details;
  details.set_code(static_cast<int>(code));
  details.set_message(message);
  details.add_details()->PackFrom(oauth_error);
  return grpc::Status(code, message, details.SerializeAsString());
}

class ServerAuthenticator::Processor final : public grpc::AuthMetadataProcessor {
 public:
  explicit Processor(std::shared_ptr<ServerAuthenticator> owner) : owner_(std::move(owner)) {}

  bool IsBlocking() const override { return true; }

  grpc::Status Process(const InputMetadata& metadata, grpc::AuthContext* /*context*/,
                       OutputMetadata* /*consumed*/, OutputMetadata* /*response*/) override {
    // Claims are not put into the AuthContext: gRPC shares it between all
    // calls of a connection. The token stays in the metadata so that the
    // handler's Authenticate finds it (and the cached result).
    absl::string_view method;
    if (const auto path = metadata.find(":path"); path != metadata.end()) {
      method = View(path->second);
    }
    if (!method.empty() && owner_->IsPublic(method)) return grpc::Status::OK;
    std::vector<absl::string_view> scopes;
    if (const auto it = owner_->options_.method_scopes.find(std::string(method));
        it != owner_->options_.method_scopes.end()) {
      scopes.assign(it->second.begin(), it->second.end());
    }
    VerifyResult result = owner_->Authenticate(metadata, scopes);
    if (!result.ok()) return ToGrpcStatus(result.error());
    return grpc::Status::OK;
  }

 private:
  std::shared_ptr<ServerAuthenticator> owner_;
};

std::shared_ptr<ServerAuthenticator> ServerAuthenticator::Create(
    std::shared_ptr<Verifier> verifier, ServerAuthOptions options) {
  return std::shared_ptr<ServerAuthenticator>(
      new ServerAuthenticator(std::move(verifier), std::move(options)));
}

ServerAuthenticator::ServerAuthenticator(std::shared_ptr<Verifier> verifier,
                                         ServerAuthOptions options)
    : verifier_(std::move(verifier)), options_(std::move(options)) {}

std::shared_ptr<grpc::AuthMetadataProcessor> ServerAuthenticator::MetadataProcessor() {
  return std::make_shared<Processor>(shared_from_this());
}

bool ServerAuthenticator::IsPublic(absl::string_view method) const {
  for (const std::string& pattern : options_.public_methods) {
    if (!pattern.empty() && pattern.back() == '*') {
      if (absl::StartsWith(method, absl::string_view(pattern).substr(0, pattern.size() - 1))) {
        return true;
      }
    } else if (method == pattern) {
      return true;
    }
  }
  return false;
}

VerifyResult ServerAuthenticator::Authenticate(const grpc::CallbackServerContext& context,
                                               absl::Span<const absl::string_view> scopes) {
  return Authenticate(context.client_metadata(), scopes);
}

VerifyResult ServerAuthenticator::Authenticate(const grpc::ServerContext& context,
                                               absl::Span<const absl::string_view> scopes) {
  return Authenticate(context.client_metadata(), scopes);
}

VerifyResult ServerAuthenticator::Authenticate(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
    absl::Span<const absl::string_view> scopes) {
  std::string token;
  if (std::optional<VerifyError> error = ExtractBearerToken(metadata, &token)) {
    return *std::move(error);
  }
  return VerifyToken(token, scopes);
}

VerifyResult ServerAuthenticator::VerifyToken(absl::string_view token,
                                              absl::Span<const absl::string_view> scopes) {
  std::optional<AccessToken> claims;
  const bool use_cache = options_.cache_ttl > absl::ZeroDuration() && options_.cache_size > 0;
  if (use_cache) {
    absl::MutexLock lock(&mu_);
    const auto it = cache_.find(token);
    if (it != cache_.end() && verifier_->Now() < it->second.until) claims = it->second.claims;
  }
  if (claims.has_value()) {
    cache_hits_.fetch_add(1, std::memory_order_relaxed);
  } else {
    verified_.fetch_add(1, std::memory_order_relaxed);
    VerifyResult result = verifier_->Verify(token);
    if (!result.ok()) return result;
    claims = std::move(result).value();
    if (use_cache) {
      const absl::Time now = verifier_->Now();
      CacheEntry entry{*claims, std::min(now + options_.cache_ttl, claims->expires_at)};
      absl::MutexLock lock(&mu_);
      if (cache_.size() >= options_.cache_size) {
        absl::erase_if(cache_, [now](const auto& item) { return item.second.until <= now; });
        if (cache_.size() >= options_.cache_size) cache_.clear();
      }
      cache_.insert_or_assign(std::string(token), std::move(entry));
    }
  }
  std::vector<absl::string_view> missing;
  for (absl::string_view scope : scopes) {
    if (!claims->HasScope(scope)) missing.push_back(scope);
  }
  if (!missing.empty()) {
    return VerifyError{VerifyErrorCode::kInsufficientScope,
                       absl::StrCat("token lacks scope \"", absl::StrJoin(missing, " "), "\"")};
  }
  return *std::move(claims);
}

ServerAuthenticator::Stats ServerAuthenticator::stats() const {
  Stats stats;
  stats.verified = verified_.load(std::memory_order_relaxed);
  stats.cache_hits = cache_hits_.load(std::memory_order_relaxed);
  return stats;
}

}  // namespace oauthd::client
