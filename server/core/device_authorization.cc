#include "server/core/device_authorization.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/core/audience.h"
#include "server/core/hashing.h"
#include "server/core/oauth_error.h"
#include "server/core/random.h"
#include "server/core/refresh_token_format.h"
#include "server/core/scope.h"
#include "server/core/status_macros.h"
#include "server/core/user_code.h"

namespace oauthd {
namespace {

using oauth::v1::VerifyDeviceRequest;

// New codes are drawn again this often on a hash collision (a user-code
// collision is likely only with millions of live codes).
constexpr int kSaveAttempts = 5;

std::string GuessKey(absl::string_view source_address) {
  return absl::StrCat("device:addr:", Sha256Hex(source_address).substr(0, 32));
}

absl::Status UnknownUserCode() {
  return InvalidGrant("the code is unknown or expired, or was used already");
}

}  // namespace

DeviceAuthorizationEndpoint::DeviceAuthorizationEndpoint(
    const ServerConfig& config, ClientRegistry& clients, ResourceOwnerAuthenticator& owners,
    storage::DeviceStore& devices, storage::CounterStore& counters, AuditLog& audit,
    Clock clock)
    : config_(config), clients_(clients), owners_(owners), devices_(devices),
      counters_(counters), audit_(audit), clock_(std::move(clock)) {}

absl::StatusOr<oauth::v1::DeviceAuthorizeResponse> DeviceAuthorizationEndpoint::Authorize(
    const oauth::v1::DeviceAuthorizeRequest& request) {
  ASSIGN_OR_RETURN(std::shared_ptr<const storage::ClientRecord> client,
                   clients_.Authenticate(request.client()));
  const oauth::admin::v1::Client& c = client->client();
  if (!ClientAllowsGrant(c, kDeviceCodeGrantType)) {
    return UnauthorizedClient("client may not use the device_code grant");
  }
  ASSIGN_OR_RETURN(std::vector<std::string> scopes,
                   ResolveScope(request.scope(),
                                {c.allowed_scopes().begin(), c.allowed_scopes().end()},
                                {c.default_scopes().begin(), c.default_scopes().end()}));
  ASSIGN_OR_RETURN(std::vector<std::string> audiences, ResolveAudiences(request.resource(), c));

  storage::DeviceAuthorization pending;
  pending.client_id = c.client_id();
  pending.scope = JoinScope(scopes);
  pending.audiences = std::move(audiences);
  pending.expires_at_ms = absl::ToUnixMillis(clock_() + config_.device_code_ttl);
  pending.interval_seconds = absl::ToInt64Seconds(config_.device_poll_interval);
  for (int attempt = 1;; ++attempt) {
    std::string device_code = RandomToken(32);
    std::string user_code = NewUserCode();
    absl::Status saved =
        devices_.Save(Sha256Hex(device_code), Sha256Hex(user_code), pending,
                      config_.device_code_ttl + kExpiredDeviceCodeMemory);
    if (absl::IsAlreadyExists(saved) && attempt < kSaveAttempts) continue;
    RETURN_IF_ERROR(saved);
    oauth::v1::DeviceAuthorizeResponse response;
    const std::string uri = config_.device_verification_uri.empty()
                                ? absl::StrCat(config_.issuer, "/device")
                                : config_.device_verification_uri;
    const std::string shown = FormatUserCode(user_code);
    response.set_device_code(std::move(device_code));
    response.set_user_code(shown);
    response.set_verification_uri(uri);
    response.set_verification_uri_complete(
        absl::StrCat(uri, uri.find('?') == std::string::npos ? "?" : "&", "user_code=", shown));
    response.set_expires_in(absl::ToInt64Seconds(config_.device_code_ttl));
    response.set_interval(pending.interval_seconds);
    return response;
  }
}

absl::StatusOr<oauth::v1::VerifyDeviceResponse> DeviceAuthorizationEndpoint::Verify(
    const VerifyDeviceRequest& request, const RequestContext& context) {
  if (!VerifyDeviceRequest::Decision_IsValid(request.decision())) {
    return InvalidRequest("unknown decision");
  }
  const bool approve = request.decision() == VerifyDeviceRequest::APPROVE;
  if (approve && (request.login().username().empty() || request.login().password().empty())) {
    return InvalidRequest("approving needs the username and password");
  }
  // RFC 8628 §5.1: user codes are short, so guesses are counted per address
  // before anything is looked up (parallel guesses cannot overtake it).
  const std::string guess_key = GuessKey(context.source_address);
  ASSIGN_OR_RETURN(int64_t guesses, counters_.Increment(guess_key, config_.failure_window));
  if (guesses > config_.device_user_code_attempts) {
    audit_.Record({.event = "device.throttled", .source_address = context.source_address});
    return InvalidGrant("too many codes were tried from this address; wait and try again");
  }
  const std::optional<std::string> code = NormalizeUserCode(request.user_code());
  if (!code) return UnknownUserCode();
  const std::string code_hash = Sha256Hex(*code);
  const int64_t now_ms = absl::ToUnixMillis(clock_());
  ASSIGN_OR_RETURN(std::optional<storage::DeviceAuthorization> pending,
                   devices_.FindByUserCode(code_hash, now_ms));
  if (!pending) return UnknownUserCode();
  RETURN_IF_ERROR(counters_.Decrement(guess_key));

  oauth::v1::VerifyDeviceResponse response;
  response.set_user_code(FormatUserCode(*code));
  response.set_client_id(pending->client_id);
  response.set_client_name(pending->client_id);
  if (absl::StatusOr<std::shared_ptr<const storage::ClientRecord>> client =
          clients_.Get(pending->client_id);
      client.ok() && !(*client)->client().client_name().empty()) {
    response.set_client_name((*client)->client().client_name());
  }
  ASSIGN_OR_RETURN(std::vector<std::string> scopes, ParseScope(pending->scope));
  for (std::string& s : scopes) response.add_scopes(std::move(s));
  if (request.decision() == VerifyDeviceRequest::DECISION_UNSPECIFIED) return response;

  storage::DeviceDecision decision;
  decision.approved = approve;
  if (approve) {
    // The grant's instant precedes the user check (see PasswordGrant).
    decision.granted_at_ms = absl::ToUnixMillis(clock_());
    ASSIGN_OR_RETURN(storage::UserRecord user,
                     owners_.Authenticate(pending->client_id, request.login().username(),
                                          request.login().password(), context));
    decision.subject = user.user().subject();
    decision.username = user.user().username();
    decision.grant_id = NewGrantId(decision.granted_at_ms);
  }
  ASSIGN_OR_RETURN(bool decided,
                   devices_.Decide(code_hash, decision, absl::ToUnixMillis(clock_())));
  if (!decided) return UnknownUserCode();
  audit_.Record({.event = approve ? "device.approved" : "device.denied",
                 .client_id = pending->client_id,
                 .subject = decision.subject,
                 .grant_id = decision.grant_id,
                 .source_address = context.source_address});
  response.set_decision(request.decision());
  return response;
}

}  // namespace oauthd
