#include "server/core/login_throttle.h"

#include "absl/strings/str_cat.h"
#include "server/core/hashing.h"
#include "server/core/status_macros.h"

namespace oauthd {
namespace {

// Usernames and addresses are hashed into keys: bounded length, no odd
// characters, and no username in clear in Redis.
std::string UserHash(absl::string_view username) { return Sha256Hex(username); }

std::string AddressKey(absl::string_view source_address) {
  return absl::StrCat("login:addr:", Sha256Hex(source_address).substr(0, 32));
}

std::string UserKey(const std::string& user_hash) { return "login:user:" + user_hash; }
std::string GenerationKey(const std::string& user_hash) { return "login:gen:" + user_hash; }

// The generation counter outlives every window; it exists only for users an
// operator unlocked or who changed their password.
constexpr absl::Duration kGenerationLifetime = absl::Hours(24 * 365);

}  // namespace

absl::StatusOr<std::string> LoginThrottle::UserAddressKey(const std::string& user_hash,
                                                          absl::string_view source_address) {
  ASSIGN_OR_RETURN(int64_t generation, counters_.Get(GenerationKey(user_hash)));
  return absl::StrCat("login:ua:", user_hash, ":", generation, ":",
                      Sha256Hex(source_address).substr(0, 32));
}

absl::StatusOr<bool> LoginThrottle::Admit(absl::string_view username,
                                          absl::string_view source_address) {
  const absl::Duration window = config_.failure_window;
  ASSIGN_OR_RETURN(int64_t from_address,
                   counters_.Increment(AddressKey(source_address), window));
  if (from_address > config_.address_failure_limit) {
    refused_address_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  const std::string user = UserHash(username);
  ASSIGN_OR_RETURN(std::string user_address, UserAddressKey(user, source_address));
  ASSIGN_OR_RETURN(int64_t for_user, counters_.Increment(UserKey(user), window));
  ASSIGN_OR_RETURN(int64_t for_user_here, counters_.Increment(user_address, window));
  if (for_user > config_.user_total_failure_limit) {
    refused_user_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  if (for_user_here > config_.user_failure_limit) {
    refused_user_address_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  admitted_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

absl::Status LoginThrottle::Succeeded(absl::string_view username,
                                      absl::string_view source_address) {
  const std::string user = UserHash(username);
  RETURN_IF_ERROR(counters_.Decrement(AddressKey(source_address)));
  RETURN_IF_ERROR(counters_.Decrement(UserKey(user)));
  ASSIGN_OR_RETURN(std::string user_address, UserAddressKey(user, source_address));
  return counters_.Reset(user_address);
}

absl::StatusOr<LoginThrottle::State> LoginThrottle::StateOf(absl::string_view username) {
  State state;
  ASSIGN_OR_RETURN(state.attempts, counters_.Get(UserKey(UserHash(username))));
  state.limit = config_.user_total_failure_limit;
  state.throttled = state.attempts >= state.limit;
  return state;
}

absl::Status LoginThrottle::Clear(absl::string_view username) {
  const std::string user = UserHash(username);
  RETURN_IF_ERROR(counters_.Increment(GenerationKey(user), kGenerationLifetime).status());
  return counters_.Reset(UserKey(user));
}

}  // namespace oauthd
