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
                                                       storage::CounterStore& counters)
    : config_(config), users_(users), counters_(counters) {}

absl::StatusOr<storage::UserRecord> ResourceOwnerAuthenticator::Authenticate(
    absl::string_view client_id, absl::string_view username,
    absl::string_view password) {
  if (username.empty() || password.empty()) {
    return InvalidRequest("username and password are required");
  }
  if (username.size() > kMaxUsernameLength || password.size() > kMaxPasswordLength) {
    return InvalidRequest("username or password is too long");
  }
  // Usernames are hashed into the key: bounded length, no odd characters.
  const std::string user_key = absl::StrCat("login:user:", Sha256Hex(username));
  const std::string client_key = absl::StrCat("login:client:", client_id);
  ASSIGN_OR_RETURN(int64_t user_failures, counters_.Get(user_key));
  ASSIGN_OR_RETURN(int64_t client_failures, counters_.Get(client_key));
  if (user_failures >= config_.user_failure_limit ||
      client_failures >= config_.client_failure_limit) {
    return InvalidGrant("too many failed attempts; try again later");
  }
  ASSIGN_OR_RETURN(std::optional<storage::UserRecord> user, users_.Get(username));
  bool ok;
  if (user.has_value() && !user->user().disabled()) {
    ok = VerifyPassword(password, user->password_hash());
  } else {
    VerifyPassword(password, DummyPasswordHash(config_.password_hashing));
    ok = false;
  }
  if (!ok) {
    RETURN_IF_ERROR(counters_.Increment(user_key, config_.failure_window).status());
    RETURN_IF_ERROR(counters_.Increment(client_key, config_.failure_window).status());
    return InvalidGrant(kBadCredentials);
  }
  if (user_failures > 0) RETURN_IF_ERROR(counters_.Reset(user_key));
  return *std::move(user);
}

}  // namespace oauthd
