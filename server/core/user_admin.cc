#include "server/core/user_admin.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "server/core/oauth_error.h"
#include "server/core/password_hash.h"
#include "server/core/random.h"
#include "server/core/status_macros.h"

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
  u.set_subject(absl::StrCat("u_", RandomToken(16)));
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
  return record.user();
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
  record.mutable_user()->set_update_time(absl::ToUnixSeconds(clock_()));
  absl::Status status = store_.Update(record);
  if (absl::IsNotFound(status)) return NotFound(username);
  RETURN_IF_ERROR(status);
  return record.user();
}

absl::Status UserAdmin::Delete(absl::string_view username) {
  absl::Status status = store_.Delete(username);
  if (absl::IsNotFound(status)) return NotFound(username);
  return status;
}

}  // namespace oauthd
