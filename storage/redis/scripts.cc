#include "storage/redis/scripts.h"

#include <openssl/evp.h>

#include <cstdio>

namespace oauthd::storage::redis_internal {
namespace {

// Numbers written by the scripts go through string.format('%d') so that
// Redis never sees a Lua float rendering such as 1.7e+09.

constexpr const char kCreateRecordLua[] = R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], 0, ARGV[1])
return 1
)lua";

constexpr const char kDeleteRecordLua[] = R"lua(
local n = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return n
)lua";

constexpr const char kListRecordsLua[] = R"lua(
local ids = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[1], '+', 'LIMIT', 0, ARGV[2])
local out = {}
for _, id in ipairs(ids) do
  local v = redis.call('GET', ARGV[3] .. id)
  if v then out[#out + 1] = v end
end
return out
)lua";

constexpr const char kSaveCodeLua[] = R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
)lua";

// ARGV: client_id, redirect_uri, code_verifier, code_verifier_s256.
// Reply: {outcome, <the 13 fields below in order>} or {outcome}.
constexpr const char kRedeemCodeLua[] = R"lua(
local f = redis.call('HMGET', KEYS[1], 'client_id', 'redirect_uri',
  'redirect_in_request', 'scope', 'subject', 'username', 'audiences',
  'code_challenge', 'code_challenge_method', 'auth_time', 'spent',
  'grant_id', 'granted_ms')
if not f[1] then return {1} end
if f[11] == '1' then return {2, unpack(f)} end
if f[1] ~= ARGV[1] then return {3} end
if f[3] == '1' and f[2] ~= ARGV[2] then return {4} end
local challenge, method = f[8], f[9]
if challenge == '' then
  if ARGV[3] ~= '' then return {5} end
else
  if ARGV[3] == '' then return {5} end
  if method == 'S256' then
    if ARGV[4] ~= challenge then return {5} end
  elseif method == 'plain' then
    if ARGV[3] ~= challenge then return {5} end
  else
    return {5}
  end
end
redis.call('HSET', KEYS[1], 'spent', '1')
return {0, unpack(f)}
)lua";

// The grant record is a hash: state (active|revoked), client_id, subject,
// scope, granted_ms, last_used. A revoked grant keeps its expiry.

// KEYS: token, grant. ARGV: grant_exp, ttl_seconds, granted_ms, now,
// client_id, subject, scope, then the token's field, value, ...
// Reply: 1 created, 0 grant revoked, -1 token exists.
constexpr const char kCreateRefreshLua[] = R"lua(
local st = redis.call('HGET', KEYS[2], 'state')
if st == 'revoked' then return 0 end
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
if not st then
  redis.call('HSET', KEYS[2], 'state', 'active', 'client_id', ARGV[5],
    'subject', ARGV[6], 'scope', ARGV[7], 'granted_ms', ARGV[3],
    'last_used', ARGV[4])
  redis.call('EXPIREAT', KEYS[2], ARGV[1])
end
redis.call('HSET', KEYS[1], unpack(ARGV, 8))
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
)lua";

// KEYS: grant. ARGV: grant_exp, granted_ms, now, client_id, subject, scope.
// Reply: 1 created, 0 grant revoked, -1 grant exists.
constexpr const char kCreateGrantLua[] = R"lua(
local st = redis.call('HGET', KEYS[1], 'state')
if st == 'revoked' then return 0 end
if st then return -1 end
redis.call('HSET', KEYS[1], 'state', 'active', 'client_id', ARGV[4],
  'subject', ARGV[5], 'scope', ARGV[6], 'granted_ms', ARGV[2],
  'last_used', ARGV[3])
redis.call('EXPIREAT', KEYS[1], ARGV[1])
return 1
)lua";

// KEYS: a subject's grant index (zset: grant id scored by its end).
// ARGV: grant_exp, grant_id, now. Drops ended entries, adds this one and
// keeps the index as long as its longest grant.
constexpr const char kIndexGrantLua[] = R"lua(
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
if redis.call('EXPIRETIME', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('EXPIREAT', KEYS[1], ARGV[1])
end
return 1
)lua";

// KEYS: a subject's grant index. ARGV: now, limit, grant key prefix (up to
// the hash tag's opening brace). Reads the grant records the index names.
// Reply: {{id, client_id, scope, granted_ms, last_used, expires_at}, ...}
// for active grants, by end then id.
constexpr const char kListGrantsLua[] = R"lua(
local out, offset, want = {}, 0, tonumber(ARGV[2])
while #out < want do
  local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf',
    'LIMIT', offset, 100)
  if #ids == 0 then break end
  offset = offset + #ids
  for _, id in ipairs(ids) do
    local key = ARGV[3] .. id .. '}'
    local f = redis.call('HMGET', key, 'state', 'client_id', 'scope',
      'granted_ms', 'last_used')
    if f[1] == 'active' and #out < want then
      out[#out + 1] = {id, f[2], f[3], f[4], f[5],
        string.format('%d', redis.call('EXPIRETIME', key))}
    end
  end
end
return out
)lua";

// KEYS: a revocation feed index (feed.h). ARGV: expires_ms, member, now_ms.
// Drops ended entries, adds this one, keeps the index as long as its last.
constexpr const char kFeedIndexLua[] = R"lua(
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
if redis.call('PEXPIRETIME', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('PEXPIREAT', KEYS[1], ARGV[1])
end
return 1
)lua";

// KEYS: token, grant, successor. ARGV: client_id, requested_scope, now,
// successor_ttl, grace, sealed, retry_grace. A rotated token remembers its
// successor (the hash: the key's last 64 characters), so the same call
// repeated (after a failover took its answer) gets the same rotation back
// instead of being taken for reuse; within retry_grace a new call does too
// while that successor was never presented (its key, beside this call's
// successor key in the same family, has no rotated_at).
// Reply: {outcome[, client_id, subject, username, scope, audiences,
//         issued_at, expires_at, family_expires_at, sealed_successor,
//         granted_ms]}.
constexpr const char kRotateRefreshLua[] = R"lua(
local g = redis.call('HMGET', KEYS[2], 'state', 'granted_ms')
if g[1] ~= 'active' then return {3} end
local t = redis.call('HMGET', KEYS[1], 'client_id', 'subject', 'username',
  'scope', 'audiences', 'issued_at', 'expires_at', 'family_expires_at',
  'rotated_at', 'sealed_successor', 'successor_scope', 'successor_expires_at',
  'successor')
if not t[1] then return {3} end
if t[1] ~= ARGV[1] then return {4} end
local granted = {}
for s in string.gmatch(t[4], '[^ ]+') do granted[s] = true end
for s in string.gmatch(ARGV[2], '[^ ]+') do
  if not granted[s] then return {5} end
end
-- RFC 6749 §6: the successor keeps the grant's scope.
local scope = t[4]
local now = tonumber(ARGV[3])
local family_exp = tonumber(t[8])
if tonumber(t[7]) <= now or family_exp <= now then return {3} end
if not t[9] then
  if redis.call('EXISTS', KEYS[3]) == 1 then return {6} end
  local ttl = math.min(tonumber(ARGV[4]), family_exp - now)
  local exp = string.format('%d', now + ttl)
  redis.call('HSET', KEYS[1], 'rotated_at', ARGV[3], 'sealed_successor', ARGV[6],
    'successor_scope', scope, 'successor_expires_at', exp,
    'successor', string.sub(KEYS[3], -64))
  redis.call('HSET', KEYS[3], 'client_id', t[1], 'subject', t[2],
    'username', t[3], 'scope', scope, 'audiences', t[5], 'issued_at', ARGV[3],
    'expires_at', exp, 'family_expires_at', t[8])
  redis.call('EXPIRE', KEYS[3], string.format('%d', ttl))
  redis.call('HSET', KEYS[2], 'last_used', ARGV[3])
  return {0, t[1], t[2], t[3], scope, t[5], ARGV[3], exp, t[8], '', g[2]}
end
-- The same rotation asked again (its answer was lost in a failover).
if t[13] == string.sub(KEYS[3], -64) then
  return {0, t[1], t[2], t[3], t[11], t[5], t[9], t[12], t[8], '', g[2]}
end
local since = now - tonumber(t[9])
local grace = tonumber(ARGV[5])
local replay = grace > 0 and since <= grace
local retry = tonumber(ARGV[7])
if not replay and retry > 0 and since <= retry and t[13] then
  local first = string.sub(KEYS[3], 1, -65) .. t[13]
  local s = redis.call('HMGET', first, 'client_id', 'rotated_at')
  replay = s[1] ~= false and s[2] == false
end
if replay then
  return {1, t[1], t[2], t[3], t[11], t[5], t[9], t[12], t[8], t[10], g[2]}
end
redis.call('HSET', KEYS[2], 'state', 'revoked')
return {2, t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], '', g[2],
  redis.call('PEXPIRETIME', KEYS[2])}
)lua";

// Reply: {client_id, subject, username, scope, audiences, issued_at,
//         expires_at, family_expires_at, rotated_at|nil, granted_ms} or nil.
constexpr const char kLookupRefreshLua[] = R"lua(
local g = redis.call('HMGET', KEYS[2], 'state', 'granted_ms')
if g[1] ~= 'active' then return false end
local t = redis.call('HMGET', KEYS[1], 'client_id', 'subject', 'username',
  'scope', 'audiences', 'issued_at', 'expires_at', 'family_expires_at',
  'rotated_at')
if not t[1] then return false end
t[10] = g[2]
return t
)lua";

// KEYS: grant. ARGV: TTL (seconds) when the grant is unknown.
// Reply: the grant record's expiry, unix ms.
constexpr const char kRevokeFamilyLua[] = R"lua(
local known = redis.call('EXISTS', KEYS[1]) == 1
redis.call('HSET', KEYS[1], 'state', 'revoked')
if not known then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return redis.call('PEXPIRETIME', KEYS[1])
)lua";

// KEYS: owner marker. ARGV: not_before_ms, ttl_ms. Never moves back.
// Reply: the instant now stored.
constexpr const char kRevokeOwnerLua[] = R"lua(
local current = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
local value = ARGV[1]
if current > tonumber(value) then value = string.format('%d', current) end
redis.call('SET', KEYS[1], value, 'PX', ARGV[2])
return value
)lua";

constexpr const char kIncrementLua[] = R"lua(
local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return n
)lua";

// DECR on a missing key would create it at -1 with no expiry.
constexpr const char kDecrementLua[] = R"lua(
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then
  return redis.call('DECR', KEYS[1])
end
return 0
)lua";

// Device authorization (RFC 8628): a hash per device code with fields
// client_id scope audiences expires_ms interval state(pending|approved|
// denied) subject username grant_id granted_ms redeemed(0|1) last_poll, and
// a string per user code naming the device code's key until a decision.
constexpr const char kSaveDeviceLua[] = R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[1])
return 1
)lua";

constexpr const char kFindDeviceLua[] = R"lua(
local dk = redis.call('GET', KEYS[1])
if not dk then return nil end
local f = redis.call('HMGET', dk, 'client_id', 'scope', 'audiences', 'expires_ms',
  'interval', 'state')
if not f[1] or f[6] ~= 'pending' or tonumber(ARGV[1]) >= tonumber(f[4]) then
  return nil
end
return f
)lua";

constexpr const char kDecideDeviceLua[] = R"lua(
local dk = redis.call('GET', KEYS[1])
if not dk then return 0 end
local f = redis.call('HMGET', dk, 'client_id', 'expires_ms', 'state')
if not f[1] or f[3] ~= 'pending' or tonumber(ARGV[1]) >= tonumber(f[2]) then
  return 0
end
redis.call('HSET', dk, 'state', ARGV[2], 'subject', ARGV[3], 'username', ARGV[4],
  'grant_id', ARGV[5], 'granted_ms', ARGV[6])
redis.call('DEL', KEYS[1])
return 1
)lua";

// Slow-down step of RFC 8628 §3.5: 5 seconds.
constexpr const char kPollDeviceLua[] = R"lua(
local f = redis.call('HMGET', KEYS[1], 'client_id', 'scope', 'audiences',
  'expires_ms', 'interval', 'state', 'subject', 'username', 'grant_id',
  'granted_ms', 'redeemed', 'last_poll')
if not f[1] then return {1} end
if f[1] ~= ARGV[1] then return {2} end
if f[11] == '1' then return {3} end
local now = tonumber(ARGV[2])
if now >= tonumber(f[4]) then return {4} end
if f[6] == 'denied' then return {5} end
if f[6] == 'approved' then
  redis.call('HSET', KEYS[1], 'redeemed', '1')
  return {6, unpack(f)}
end
local interval = tonumber(f[5])
local last = tonumber(f[12])
local outcome = 8
if last > 0 and now - last < interval * 1000 then
  interval = interval + 5
  outcome = 7
  redis.call('HSET', KEYS[1], 'interval', string.format('%d', interval))
end
redis.call('HSET', KEYS[1], 'last_poll', ARGV[2])
return {outcome, string.format('%d', interval)}
)lua";

std::string Sha1Hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha1(), nullptr);
  std::string hex;
  hex.reserve(len * 2);
  static constexpr char kDigits[] = "0123456789abcdef";
  for (unsigned int i = 0; i < len; ++i) {
    hex.push_back(kDigits[md[i] >> 4]);
    hex.push_back(kDigits[md[i] & 0xf]);
  }
  return hex;
}

std::vector<Script> BuildScripts() {
  const char* bodies[] = {
      kCreateRecordLua, kDeleteRecordLua,  kListRecordsLua,  kSaveCodeLua,
      kRedeemCodeLua,   kCreateRefreshLua, kRotateRefreshLua, kLookupRefreshLua,
      kRevokeFamilyLua, kIncrementLua,     kCreateGrantLua,  kIndexGrantLua,
      kListGrantsLua,   kRevokeOwnerLua,   kFeedIndexLua,     kDecrementLua,
      kSaveDeviceLua,   kFindDeviceLua,    kDecideDeviceLua,  kPollDeviceLua,
  };
  static_assert(sizeof(bodies) / sizeof(bodies[0]) ==
                static_cast<size_t>(ScriptId::kCount));
  std::vector<Script> scripts;
  for (const char* body : bodies) {
    Script s;
    s.body = body;
    s.sha1 = Sha1Hex(s.body);
    scripts.push_back(std::move(s));
  }
  return scripts;
}

}  // namespace

const std::vector<Script>& Scripts() {
  static const std::vector<Script>* const scripts =
      new std::vector<Script>(BuildScripts());
  return *scripts;
}

}  // namespace oauthd::storage::redis_internal
