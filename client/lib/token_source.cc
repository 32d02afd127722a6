#include "client/lib/token_source.h"

#include <algorithm>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/jose/json_writer.h"

namespace oauthd::client {

absl::StatusOr<std::shared_ptr<TokenSource>> TokenSource::Create(
    std::shared_ptr<AuthorizationServer> server, TokenSourceOptions options) {
  if (server == nullptr) return absl::InvalidArgumentError("TokenSource needs a server");
  if (options.client_id.empty()) {
    return absl::InvalidArgumentError("TokenSource needs a client_id");
  }
  // Sent as proto3 strings, which must be UTF-8: anything else reaches the
  // server as a request it cannot parse, refused with a status naming nothing.
  std::vector<std::pair<const char*, const std::string*>> text = {
      {"client_id", &options.client_id},
      {"client_secret", &options.client_secret},
      {"issuer", &options.issuer},
      {"scope", &options.scope}};
  for (const std::string& resource : options.resources) text.push_back({"resources", &resource});
  for (const auto& [name, value] : text) {
    if (!jose::IsValidUtf8(*value)) {
      return absl::InvalidArgumentError(absl::StrCat("TokenSource ", name, " is not valid UTF-8"));
    }
  }
  for (absl::Duration d : {options.renew_before, options.renew_jitter, options.min_remaining,
                           options.retry_after_failure}) {
    if (d < absl::ZeroDuration()) {
      return absl::InvalidArgumentError("TokenSource durations must not be negative");
    }
  }
  if (options.default_lifetime <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("TokenSource default_lifetime must be positive");
  }
  std::shared_ptr<const ClientAssertionSigner> signer;
  if (!options.private_key_file.empty()) {
    if (!options.client_secret.empty()) {
      return absl::InvalidArgumentError(
          "TokenSource takes a client_secret or a private_key_file, not both");
    }
    absl::StatusOr<std::shared_ptr<const ClientAssertionSigner>> loaded =
        ClientAssertionSigner::FromPemFile(options.private_key_file, options.client_id,
                                           options.issuer);
    if (!loaded.ok()) return loaded.status();
    signer = *std::move(loaded);
  }
  if (!options.clock) options.clock = SystemClock();
  if (!options.random) {
    options.random = [] {
      thread_local absl::BitGen bitgen;
      return absl::Uniform<double>(bitgen, 0.0, 1.0);
    };
  }
  std::shared_ptr<TokenSource> source(new TokenSource(std::move(server), std::move(options)));
  source->signer_ = std::move(signer);
  return source;
}

TokenSource::TokenSource(std::shared_ptr<AuthorizationServer> server, TokenSourceOptions options)
    : server_(std::move(server)), options_(std::move(options)) {}

bool TokenSource::Usable(const Token& token, absl::Time now) const {
  const absl::Duration margin =
      std::min(options_.min_remaining, (token.expiry - token.obtained_at) / 10);
  return now < token.expiry - margin;
}

absl::StatusOr<Token> TokenSource::Fetch() {
  oauth::v1::IssueTokenRequest request;
  request.mutable_client()->set_client_id(options_.client_id);
  if (signer_ != nullptr) {
    absl::StatusOr<std::string> assertion = signer_->Make(absl::Now());
    if (!assertion.ok()) return assertion.status();
    request.mutable_client()->set_client_assertion_type(
        std::string(kJwtBearerClientAssertionType));
    request.mutable_client()->set_client_assertion(*std::move(assertion));
  } else {
    request.mutable_client()->set_client_secret(options_.client_secret);
  }
  request.mutable_client_credentials()->set_scope(options_.scope);
  for (const std::string& resource : options_.resources) request.add_resource(resource);

  const absl::Time sent = options_.clock();
  absl::StatusOr<oauth::v1::TokenResponse> response = server_->IssueToken(request);
  if (!response.ok()) return response.status();
  if (response->access_token().empty()) {
    return absl::InternalError("token response has no access_token");
  }
  // RFC 6749 §A.12: access_token = 1*VSCHAR. Anything else could not be sent
  // as an Authorization header or gRPC metadata, and gRPC would log its bytes
  // when refusing it.
  const std::string& text = response->access_token();
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c <= 0x7e; })) {
    return absl::InternalError("token response's access_token is not printable ASCII");
  }
  Token token;
  token.access_token = std::move(*response->mutable_access_token());
  token.token_type = std::move(*response->mutable_token_type());
  token.scope = std::move(*response->mutable_scope());
  const absl::Duration lifetime = response->expires_in() > 0
                                      ? absl::Seconds(response->expires_in())
                                      : options_.default_lifetime;
  token.obtained_at = sent;
  token.expiry = sent + lifetime;
  const absl::Duration lead = std::min(options_.renew_before, lifetime / 2);
  const absl::Duration jitter =
      std::min(options_.renew_jitter, lifetime / 4) * std::clamp(options_.random(), 0.0, 1.0);
  token.renew_at = token.expiry - lead - jitter;
  return token;
}

absl::StatusOr<Token> TokenSource::GetToken() {
  absl::MutexLock lock(&mu_);
  while (true) {
    const absl::Time now = options_.clock();
    if (token_.has_value() && now < token_->renew_at) return *token_;
    const bool usable = token_.has_value() && Usable(*token_, now);

    if (fetching_) {
      // Someone is already renewing: keep serving the current token while it
      // lasts, otherwise share the outcome of that one call.
      if (usable) return *token_;
      ++stats_.waits;
      const int64_t seen = generation_;
      auto fetch_done = [this, seen]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
        return generation_ != seen;
      };
      mu_.Await(absl::Condition(&fetch_done));
      if (!last_error_.ok()) return last_error_;
      if (token_.has_value()) return *token_;
      continue;  // Invalidated meanwhile.
    }

    if (now < last_failure_ + options_.retry_after_failure) {
      // Do not hammer a failing server: serve what we have or the error.
      if (usable) return *token_;
      if (!last_error_.ok()) return last_error_;
    }

    fetching_ = true;
    mu_.Unlock();
    absl::StatusOr<Token> fetched = Fetch();
    mu_.Lock();
    fetching_ = false;
    ++generation_;
    ++stats_.fetches;
    if (fetched.ok()) {
      token_ = *std::move(fetched);
      last_error_ = absl::OkStatus();
      return *token_;
    }
    ++stats_.fetch_failures;
    last_error_ = fetched.status();
    last_failure_ = options_.clock();
    if (token_.has_value() && Usable(*token_, last_failure_)) return *token_;
    return last_error_;
  }
}

void TokenSource::Invalidate(absl::string_view access_token) {
  absl::MutexLock lock(&mu_);
  if (token_.has_value() && token_->access_token == access_token) token_.reset();
}

TokenSource::Stats TokenSource::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

}  // namespace oauthd::client
