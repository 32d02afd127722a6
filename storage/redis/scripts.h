#ifndef OAUTHD_STORAGE_REDIS_SCRIPTS_H_
#define OAUTHD_STORAGE_REDIS_SCRIPTS_H_

// Internal to storage/redis: the Lua scripts behind every multi-step
// operation. Each runs atomically in Redis and touches only the keys it is
// given (except List, which reads records named by the index). Field layouts
// and result codes are shared with redis_store.cc; keep them in sync.

#include <string>
#include <vector>

namespace oauthd::storage::redis_internal {

enum class ScriptId {
  kCreateRecord,   // KEYS: record, index. ARGV: id, value. -> 1 | 0 (exists)
  kDeleteRecord,   // KEYS: record, index. ARGV: id. -> deleted count
  kListRecords,    // KEYS: index. ARGV: min, limit, record key prefix -> [value]
  kSaveCode,       // KEYS: code. ARGV: ttl_ms, field, value, ... -> 1 | 0
  kRedeemCode,     // see kCodeFields and RedeemCode outcomes
  kCreateRefresh,  // KEYS: token, grant. See scripts.cc for ARGV.
  kRotateRefresh,  // KEYS: token, grant, successor. See Rotate outcomes.
  kLookupRefresh,  // KEYS: token, grant -> [fields] | nil
  kRevokeFamily,   // KEYS: grant. ARGV: ttl for an unknown grant
  kIncrement,      // KEYS: counter. ARGV: window_ms -> count
  kCreateGrant,    // KEYS: grant -> 1 | 0 (revoked) | -1 (exists)
  kIndexGrant,     // KEYS: subject's grant index. ARGV: grant_exp, id, now
  kListGrants,     // KEYS: subject's grant index -> [[fields]]
  kRevokeOwner,    // KEYS: owner marker. ARGV: not_before_ms, ttl_ms
  kFeedIndex,      // KEYS: feed index. ARGV: expires_ms, member, now_ms
  kDecrement,      // KEYS: counter -> count after (0 when there was none)
  kSaveDevice,     // KEYS: device, user code. ARGV: ttl_ms, device key, field, value, ...
  kFindDevice,     // KEYS: user code. ARGV: now_ms -> [kDeviceFields[0..5]] | nil
  kDecideDevice,   // KEYS: user code. ARGV: now_ms, state, subject, username,
                   // grant_id, granted_ms -> 1 | 0 (not pending)
  kPollDevice,     // KEYS: device. ARGV: client_id, now_ms. See Poll outcomes.
  kCount,          // number of scripts
};

// Redeem outcomes (first element of the reply).
inline constexpr int kRedeemOk = 0;
inline constexpr int kRedeemNotFound = 1;
inline constexpr int kRedeemAlreadyRedeemed = 2;
inline constexpr int kRedeemClientMismatch = 3;
inline constexpr int kRedeemRedirectMismatch = 4;
inline constexpr int kRedeemVerifierMismatch = 5;

// Rotate outcomes (first element of the reply).
inline constexpr int kRotateOk = 0;
inline constexpr int kRotateGrace = 1;
inline constexpr int kRotateReuse = 2;
inline constexpr int kRotateNotFound = 3;
inline constexpr int kRotateClientMismatch = 4;
inline constexpr int kRotateScopeWidened = 5;
inline constexpr int kRotateCollision = 6;

// Device poll outcomes (first element of the reply).
inline constexpr int kPollNotFound = 1;
inline constexpr int kPollClientMismatch = 2;
inline constexpr int kPollRedeemed = 3;
inline constexpr int kPollExpired = 4;
inline constexpr int kPollDenied = 5;
inline constexpr int kPollApproved = 6;   // then the 12 device fields
inline constexpr int kPollSlowDown = 7;   // then the new interval
inline constexpr int kPollPending = 8;    // then the interval

struct Script {
  std::string body;
  std::string sha1;  // lowercase hex, as EVALSHA wants it
};

// All scripts, indexed by ScriptId, with their SHA-1 computed locally.
const std::vector<Script>& Scripts();

}  // namespace oauthd::storage::redis_internal

#endif  // OAUTHD_STORAGE_REDIS_SCRIPTS_H_
