#ifndef OAUTHD_SERVER_CORE_LOGIN_THROTTLE_H_
#define OAUTHD_SERVER_CORE_LOGIN_THROTTLE_H_

#include <atomic>
#include <cstdint>

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/core/config.h"
#include "storage/counter_store.h"

namespace oauthd {

// Limits on password attempts (the password grant and the login page) that
// stop guessing without letting a stranger lock real users out
// (RFC 9700 §4.7 notes the trade-off):
//   - per source address, any username: `login_address_limit`;
//   - per username from one address: `login_failure_limit` — a stranger's
//     guesses from elsewhere do not touch the user's own address;
//   - per username from all addresses: `login_user_limit`, high, against
//     guessing spread over many addresses.
// Every attempt is counted *before* the password is checked, so parallel
// guesses cannot overtake the count; a successful attempt is then taken
// back, so successes never use up a limit. Counters are fixed windows of
// `login_failure_window` in the counter store. Attempts over the address
// limit create no per-username counter, so the keys strangers can make stay
// bounded (at most 2 x login_address_limit + 1 per address and window).
// Thread-safe (state lives in the store).
class LoginThrottle {
 public:
  LoginThrottle(const ServerConfig& config, storage::CounterStore& counters)
      : config_(config), counters_(counters) {}

  // Counts an attempt for `username` from `source_address` ("" when
  // unknown: all such attempts share one address bucket). True: check the
  // password; false: over a limit, do not check it. Store errors only.
  absl::StatusOr<bool> Admit(absl::string_view username, absl::string_view source_address);

  // The password was right: the attempt no longer counts against the
  // address or the username, and the username's counter for this address
  // starts over.
  absl::Status Succeeded(absl::string_view username, absl::string_view source_address);

  struct State {
    int64_t attempts = 0;  // unsuccessful attempts from all addresses in the window
    int64_t limit = 0;     // login_user_limit
    bool throttled = false;  // attempts >= limit: every address is refused
  };
  // What `oauthctl user get` shows.
  absl::StatusOr<State> StateOf(absl::string_view username);

  // Forgets the username's counters, for every address (`oauthctl user
  // unlock`, and a new password). The per-address counters of the address
  // itself stay: they are about the address, not the user.
  absl::Status Clear(absl::string_view username);

  // Admit's answers since the start, for metrics: attempts whose password was
  // checked, and attempts refused by each limit.
  struct Counts {
    uint64_t admitted = 0;
    uint64_t refused_address = 0;       // login_address_limit
    uint64_t refused_user = 0;          // login_user_limit
    uint64_t refused_user_address = 0;  // login_failure_limit
  };
  Counts counts() const {
    return {admitted_.load(std::memory_order_relaxed),
            refused_address_.load(std::memory_order_relaxed),
            refused_user_.load(std::memory_order_relaxed),
            refused_user_address_.load(std::memory_order_relaxed)};
  }

 private:
  // The per-username-and-address counter of the current generation (Clear
  // moves to a new generation instead of finding every address's key).
  absl::StatusOr<std::string> UserAddressKey(const std::string& user_hash,
                                             absl::string_view source_address);

  const ServerConfig& config_;
  storage::CounterStore& counters_;
  std::atomic<uint64_t> admitted_{0}, refused_address_{0}, refused_user_{0},
      refused_user_address_{0};
};

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_LOGIN_THROTTLE_H_
