#include "server/core/resource_owner_authenticator.h"

#include "absl/strings/str_cat.h"
#include "server/core/hashing.h"
#include "server/core/oauth_error.h"
#include "server/core/password_hash.h"
#include "server/core/status_macros.h"

namespace oauthd {
namespace {

constexpr absl::string_view kBadCredentials = "invalid username or password";

}  // namespace

ResourceOwnerAuthenticator::ResourceOwnerAuthenticator(const ServerConfig& config,
                                                       storage::UserStore& users,
                                                       storage::CounterStore& counters,
                                                       AuditLog& audit)
    : config_(config), users_(users), throttle_(config, counters), audit_(audit) {}

absl::StatusOr<storage::UserRecord> ResourceOwnerAuthenticator::Authenticate(
    absl::string_view client_id, absl::string_view username, absl::string_view password,
    const RequestContext& context) {
  if (username.empty() || password.empty()) {
    return InvalidRequest("username and password are required");
  }
  if (username.size() > kMaxUsernameLength || password.size() > kMaxPasswordLength) {
    return InvalidRequest("username or password is too long");
  }
  AuditEvent event;
  event.client_id = std::string(client_id);
  event.source_address = context.source_address;
  // Counted before the check, so parallel guesses cannot overtake the limit.
  ASSIGN_OR_RETURN(const bool admitted, throttle_.Admit(username, context.source_address));
  if (!admitted) {
    event.event = "login.throttled";
    audit_.Record(event);
    return InvalidGrant("too many attempts; try again later");
  }
  ASSIGN_OR_RETURN(std::optional<storage::UserRecord> user, users_.Get(username));
  bool ok;
  if (user.has_value() && !user->user().disabled()) {
    ok = VerifyPassword(password, user->password_hash());
  } else {
    VerifyPassword(password, DummyPasswordHash(config_.password_hashing));
    ok = false;
  }
  // The subject only when the user exists: never the typed username, which
  // may be a password typed in the wrong field.
  if (user.has_value()) event.subject = user->user().subject();
  if (!ok) {
    event.event = "login.failure";
    audit_.Record(event);
    return InvalidGrant(kBadCredentials);
  }
  RETURN_IF_ERROR(throttle_.Succeeded(username, context.source_address));
  event.event = "login.success";
  audit_.Record(event);
  return *std::move(user);
}

}  // namespace oauthd
