#include "server/core/user_admin.h"

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/core/oauth_error.h"
#include "server/core/password_hash.h"
#include "server/core/random.h"
#include "server/core/revocation.h"
#include "server/core/status_macros.h"
#include "server/core/subject.h"

namespace oauthd {
namespace {

constexpr int kMaxListSize = 1000;
constexpr int kDefaultListSize = 100;

absl::Status ValidateUsername(absl::string_view u) {
  if (u.empty() || u.size() > kMaxUsernameLength) {
    return InvalidRequest("username must be 1-256 bytes");
  }
  if (std::any_of(u.begin(), u.end(), [](char c) {
        unsigned char b = static_cast<unsigned char>(c);
        return b < 0x20 || b == 0x7f;
      }) ||
      absl::ascii_isspace(static_cast<unsigned char>(u.front())) ||
      absl::ascii_isspace(static_cast<unsigned char>(u.back()))) {
    return InvalidRequest(
        "username must not contain control characters or start/end with a space");
  }
  return absl::OkStatus();
}

absl::Status ValidatePassword(absl::string_view p) {
  if (p.size() < 8 || p.size() > kMaxPasswordLength) {
    return InvalidRequest("password must be 8-1024 bytes");
  }
  return absl::OkStatus();
}

absl::Status NotFound(absl::string_view u) {
  return absl::NotFoundError(absl::StrCat("user '", u, "' does not exist"));
}

}  // namespace

absl::StatusOr<storage::UserRecord> UserAdmin::Load(absl::string_view username) {
  ASSIGN_OR_RETURN(std::optional<storage::UserRecord> record, store_.Get(username));
  if (!record) return NotFound(username);
  return *std::move(record);
}

absl::StatusOr<oauth::admin::v1::User> UserAdmin::Create(absl::string_view username,
                                                         absl::string_view password) {
  RETURN_IF_ERROR(ValidateUsername(username));
  RETURN_IF_ERROR(ValidatePassword(password));
  storage::UserRecord record;
  oauth::admin::v1::User& u = *record.mutable_user();
  u.set_username(std::string(username));
  u.set_subject(NewUserSubject());
  const int64_t now = absl::ToUnixSeconds(clock_());
  u.set_create_time(now);
  u.set_update_time(now);
  ASSIGN_OR_RETURN(*record.mutable_password_hash(),
                   HashPassword(password, config_.password_hashing));
  absl::Status status = store_.Create(record);
  if (absl::IsAlreadyExists(status)) {
    return absl::AlreadyExistsError(absl::StrCat("user '", username, "' already exists"));
  }
  RETURN_IF_ERROR(status);
  return u;
}

absl::StatusOr<oauth::admin::v1::User> UserAdmin::Get(absl::string_view username) {
  ASSIGN_OR_RETURN(storage::UserRecord record, Load(username));
  oauth::admin::v1::User user = record.user();
  ASSIGN_OR_RETURN(LoginThrottle::State state, throttle_.StateOf(username));
  user.mutable_login_throttle()->set_attempts(state.attempts);
  user.mutable_login_throttle()->set_limit(state.limit);
  user.mutable_login_throttle()->set_throttled(state.throttled);
  return user;
}

absl::StatusOr<oauth::admin::v1::User> UserAdmin::Unlock(absl::string_view username) {
  RETURN_IF_ERROR(Load(username).status());
  RETURN_IF_ERROR(throttle_.Clear(username));
  return Get(username);
}

absl::StatusOr<oauth::admin::v1::ListUsersResponse> UserAdmin::List(
    const oauth::admin::v1::ListUsersRequest& request) {
  int size = request.page_size() <= 0 ? kDefaultListSize
                                      : std::min(request.page_size(), kMaxListSize);
  ASSIGN_OR_RETURN(std::vector<storage::UserRecord> records,
                   store_.List(request.page_token(), size + 1));
  oauth::admin::v1::ListUsersResponse response;
  for (int i = 0; i < static_cast<int>(records.size()) && i < size; ++i) {
    *response.add_users() = records[i].user();
  }
  if (static_cast<int>(records.size()) > size) {
    response.set_next_page_token(records[size - 1].user().username());
  }
  return response;
}

absl::StatusOr<oauth::admin::v1::User> UserAdmin::SetDisabled(absl::string_view username,
                                                              bool disabled) {
  ASSIGN_OR_RETURN(storage::UserRecord record, Load(username));
  // Revoke before the record changes: a failure in between leaves the user
  // enabled without tokens (safe to retry), never disabled with live ones.
  if (disabled) RETURN_IF_ERROR(RevokeAll(record));
  record.mutable_user()->set_disabled(disabled);
  record.mutable_user()->set_update_time(absl::ToUnixSeconds(clock_()));
  absl::Status status = store_.Update(record);
  if (absl::IsNotFound(status)) return NotFound(username);
  RETURN_IF_ERROR(status);
  return record.user();
}

absl::StatusOr<oauth::admin::v1::User> UserAdmin::SetPassword(absl::string_view username,
                                                              absl::string_view password) {
  RETURN_IF_ERROR(ValidatePassword(password));
  ASSIGN_OR_RETURN(storage::UserRecord record, Load(username));
  ASSIGN_OR_RETURN(*record.mutable_password_hash(),
                   HashPassword(password, config_.password_hashing));
  // A new password ends every session of the old one (RFC 9700 §4.14.2).
  RETURN_IF_ERROR(RevokeAll(record));
  record.mutable_user()->set_update_time(absl::ToUnixSeconds(clock_()));
  absl::Status status = store_.Update(record);
  if (absl::IsNotFound(status)) return NotFound(username);
  RETURN_IF_ERROR(status);
  // The owner chose a new password: earlier guesses no longer matter.
  RETURN_IF_ERROR(throttle_.Clear(username));
  return record.user();
}

absl::Status UserAdmin::Delete(absl::string_view username) {
  ASSIGN_OR_RETURN(storage::UserRecord record, Load(username));
  RETURN_IF_ERROR(RevokeAll(record));
  absl::Status status = store_.Delete(username);
  if (absl::IsNotFound(status)) return NotFound(username);
  return status;
}

absl::Status UserAdmin::RevokeAll(const storage::UserRecord& record) {
  return RevokeOwnerNow(revocations_, config_, clock_, storage::Owner::kUser,
                        record.user().subject());
}

absl::StatusOr<oauth::admin::v1::ListUserGrantsResponse> UserAdmin::ListGrants(
    const oauth::admin::v1::ListUserGrantsRequest& request) {
  ASSIGN_OR_RETURN(storage::UserRecord record, Load(request.username()));
  const int size = request.page_size() <= 0 ? kDefaultListSize
                                            : std::min(request.page_size(), kMaxListSize);
  ASSIGN_OR_RETURN(std::vector<storage::GrantSummary> grants,
                   grants_.ListGrants(record.user().subject(), size));
  // Grants older than the user's not-before instant are dead though their
  // records remain until they expire.
  ASSIGN_OR_RETURN(const int64_t not_before_ms,
                   revocations_.OwnerNotBefore(storage::Owner::kUser,
                                               record.user().subject()));
  std::map<std::string, int64_t> client_not_before;  // per client listed
  oauth::admin::v1::ListUserGrantsResponse response;
  for (const storage::GrantSummary& g : grants) {
    if (g.granted_at_ms < not_before_ms) continue;
    auto [it, added] = client_not_before.try_emplace(g.client_id, 0);
    if (added) {
      ASSIGN_OR_RETURN(it->second,
                       revocations_.OwnerNotBefore(storage::Owner::kClient, g.client_id));
    }
    if (g.granted_at_ms < it->second) continue;
    oauth::admin::v1::Grant* out = response.add_grants();
    out->set_grant_id(g.grant_id);
    out->set_client_id(g.client_id);
    for (absl::string_view s : absl::StrSplit(g.scope, ' ', absl::SkipEmpty())) {
      out->add_scopes(std::string(s));
    }
    out->set_create_time(g.granted_at_ms / 1000);
    out->set_last_used_time(g.last_used_at);
    out->set_expire_time(g.expires_at);
  }
  return response;
}

absl::Status UserAdmin::RevokeGrants(absl::string_view username) {
  ASSIGN_OR_RETURN(storage::UserRecord record, Load(username));
  return RevokeAll(record);
}

absl::Status UserAdmin::RevokeGrant(absl::string_view grant_id) {
  if (grant_id.empty() || grant_id.size() > 64) {
    return InvalidRequest("grant_id must be 1-64 characters");
  }
  return grants_.RevokeFamily(grant_id);
}

}  // namespace oauthd
