#ifndef OAUTHD_STORAGE_DEVICE_STORE_H_
#define OAUTHD_STORAGE_DEVICE_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace oauthd::storage {

// One device authorization request (RFC 8628 §3.1-3.2) and what the user
// decided about it on the verification page.
struct DeviceAuthorization {
  enum class State { kPending, kApproved, kDenied };

  std::string client_id;
  std::string scope;  // space-delimited, already validated
  std::vector<std::string> audiences;
  // When the device code stops working (unix ms); the record outlives it so
  // that a late poll is told expired_token rather than invalid_grant.
  int64_t expires_at_ms = 0;
  // The current minimum polling interval in seconds (RFC 8628 §3.5: grows by
  // 5 with every slow_down).
  int64_t interval_seconds = 5;
  State state = State::kPending;
  // Set on approval: the resource owner and the grant the tokens will name
  // (refresh_token_store.h), chosen when the owner approved.
  std::string subject;
  std::string username;
  std::string grant_id;
  int64_t granted_at_ms = 0;
};

// The owner's decision on the verification page.
struct DeviceDecision {
  bool approved = false;
  // Only for an approval (see DeviceAuthorization).
  std::string subject;
  std::string username;
  std::string grant_id;
  int64_t granted_at_ms = 0;
};

// Outcome of one token request with a device code (RFC 8628 §3.4-3.5).
// Checked in this order; only kSlowDown, kPending and kApproved write.
struct PollResult {
  enum class Outcome {
    kNotFound,          // unknown device code, or its record is gone
    kClientMismatch,    // issued to another client (nothing changes)
    kAlreadyRedeemed,   // tokens were issued for it before
    kExpired,           // now_ms >= expires_at_ms
    kDenied,            // the owner denied
    kApproved,          // `authorization` holds the approval; now spent
    kSlowDown,          // polled sooner than the interval: it grew by 5 s
    kPending,           // not decided yet
  };
  Outcome outcome = Outcome::kNotFound;
  // For kApproved: the approved request. For kSlowDown/kPending: the
  // interval now in force is `authorization.interval_seconds`.
  DeviceAuthorization authorization;
};

// Device codes and user codes of the device authorization grant, keyed by
// SHA-256 (hex) of the device code and of the normalised user code, so that
// neither is stored in clear. Thread-safe.
class DeviceStore {
 public:
  virtual ~DeviceStore() = default;

  // Stores a pending request under both hashes for `ttl` (>= 1 ms; the
  // caller keeps it beyond expires_at_ms, see above). ALREADY_EXISTS when
  // either hash is taken (nothing is written); INVALID_ARGUMENT for empty
  // hashes or ttl < 1 ms.
  virtual absl::Status Save(absl::string_view device_code_hash,
                            absl::string_view user_code_hash,
                            const DeviceAuthorization& authorization,
                            absl::Duration ttl) = 0;

  // The request a user code names while it waits for a decision: nullopt
  // when the user code is unknown, decided already, or expired at `now_ms`.
  virtual absl::StatusOr<std::optional<DeviceAuthorization>> FindByUserCode(
      absl::string_view user_code_hash, int64_t now_ms) = 0;

  // Records the owner's decision on the pending request the user code names
  // and forgets the user code (it works once). Atomic: of concurrent calls
  // at most one returns true. False (nothing changes) when FindByUserCode
  // would return nullopt.
  virtual absl::StatusOr<bool> Decide(absl::string_view user_code_hash,
                                      const DeviceDecision& decision, int64_t now_ms) = 0;

  // One poll by `client_id` at `now_ms` (see PollResult). Atomic: of
  // concurrent polls of an approved request exactly one gets kApproved.
  // A pending request polled less than interval_seconds after the previous
  // poll gets kSlowDown and its interval grows by 5 s; the first poll is
  // never early.
  virtual absl::StatusOr<PollResult> Poll(absl::string_view device_code_hash,
                                          absl::string_view client_id, int64_t now_ms) = 0;
};

}  // namespace oauthd::storage

#endif  // OAUTHD_STORAGE_DEVICE_STORE_H_
