#include "storage/redis/redis_store.h"

#include <hiredis/hiredis.h>
#include <signal.h>

#include <cstdint>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "server/core/status_macros.h"
#include "storage/call_deadline.h"
#include "storage/redis/connection.h"
#include "storage/redis/connection_pool.h"
#include "storage/redis/episode.h"
#include "storage/redis/feed.h"
#include "storage/redis/primary_locator.h"
#include "storage/redis/scripts.h"
#include "storage/redis/store_setup.h"

namespace oauthd::storage {
namespace {

using redis_internal::ConnectionConfig;
using redis_internal::MakeConnectionConfig;
using redis_internal::MakeLocator;
using redis_internal::Connection;
using redis_internal::ConnectionPool;
using redis_internal::ReplyPtr;
using redis_internal::ScriptId;
using redis_internal::Scripts;

// Who must have a write before the caller hears of it: the primary alone
// (Redis's default), or also RedisOptions::wait_replicas replicas (WAIT, when
// configured). Security-relevant writes ask for kReplicas.
enum class Ack { kPrimary, kReplicas };

// Whether a write may be sent again when a failover may have taken its
// answer: kSafe when doing it twice is doing it once (a SET of the same
// value, a revocation, a rotation that recognises its own repeat).
enum class Repeat { kNever, kSafe };

// Kept free before a request's deadline for the rest of its work and its
// answer, when a call waits for a failover (FailoverDeadline).
constexpr absl::Duration kAnswerMargin = absl::Milliseconds(250);

// Same as kUnknownFamilyRevocationTtl in storage/memory/memory_store.h.
constexpr int64_t kUnknownFamilyRevocationSeconds = 24 * 3600;

// ---- value encoding --------------------------------------------------------

std::string EncodeList(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) absl::StrAppend(&out, s.size(), ":", s);
  return out;
}

absl::StatusOr<std::vector<std::string>> DecodeList(absl::string_view in) {
  std::vector<std::string> out;
  while (!in.empty()) {
    size_t colon = in.find(':');
    size_t len = 0;
    if (colon == absl::string_view::npos ||
        !absl::SimpleAtoi(in.substr(0, colon), &len) ||
        len > in.size() - colon - 1) {
      return absl::InternalError("redis: malformed audience list");
    }
    out.emplace_back(in.substr(colon + 1, len));
    in.remove_prefix(colon + 1 + len);
  }
  return out;
}

// Element `i` of an array reply as a string ("" for nil or out of range).
absl::StatusOr<std::string> Elem(const redisReply* r, size_t i) {
  if (r->type != REDIS_REPLY_ARRAY || i >= r->elements) return std::string();
  return redis_internal::ReplyString(r->element[i]);
}

// Element `i` of an array reply if it is a string, else "".
absl::string_view ElemView(const redisReply* r, size_t i) {
  if (r->type != REDIS_REPLY_ARRAY || i >= r->elements) return {};
  const redisReply* e = r->element[i];
  if (e->type != REDIS_REPLY_STRING && e->type != REDIS_REPLY_STATUS) return {};
  return absl::string_view(e->str, e->len);
}

absl::StatusOr<int64_t> ElemInt(const redisReply* r, size_t i) {
  if (r->type != REDIS_REPLY_ARRAY || i >= r->elements) {
    return absl::InternalError("redis: short array reply");
  }
  return redis_internal::ReplyInteger(r->element[i]);
}

std::string Ms(absl::Duration d) { return absl::StrCat(absl::ToInt64Milliseconds(d)); }

RevocationEvent GrantRevoked(absl::string_view grant_id, int64_t expires_ms) {
  RevocationEvent event;
  event.kind = RevocationEvent::Kind::kGrant;
  event.id = std::string(grant_id);
  event.expires_ms = expires_ms;
  return event;
}

// ---- the store --------------------------------------------------------------

class RedisStore;

class RedisClients final : public ClientStore {
 public:
  explicit RedisClients(RedisStore* s) : s_(s) {}
  absl::Status Create(const ClientRecord& record) override;
  absl::Status Update(const ClientRecord& record) override;
  absl::StatusOr<std::optional<ClientRecord>> Get(
      absl::string_view client_id) override;
  absl::Status Delete(absl::string_view client_id) override;
  absl::StatusOr<std::vector<ClientRecord>> List(absl::string_view after,
                                                 int limit) override;

 private:
  RedisStore* s_;
};

class RedisUsers final : public UserStore {
 public:
  explicit RedisUsers(RedisStore* s) : s_(s) {}
  absl::Status Create(const UserRecord& record) override;
  absl::Status Update(const UserRecord& record) override;
  absl::StatusOr<std::optional<UserRecord>> Get(
      absl::string_view username) override;
  absl::Status Delete(absl::string_view username) override;
  absl::StatusOr<std::vector<UserRecord>> List(absl::string_view after,
                                               int limit) override;

 private:
  RedisStore* s_;
};

class RedisCodes final : public CodeStore {
 public:
  explicit RedisCodes(RedisStore* s) : s_(s) {}
  absl::Status Save(absl::string_view code_hash, const AuthorizationCode& code,
                    absl::Duration ttl) override;
  absl::StatusOr<RedeemResult> Redeem(absl::string_view code_hash,
                                      const CodeRedemption& request) override;

 private:
  RedisStore* s_;
};

class RedisRefreshTokens final : public RefreshTokenStore {
 public:
  explicit RedisRefreshTokens(RedisStore* s) : s_(s) {}
  absl::Status Create(absl::string_view token_hash, const RefreshGrant& grant,
                      int64_t ttl_seconds) override;
  absl::StatusOr<RotateResult> Rotate(absl::string_view family_id,
                                      absl::string_view token_hash,
                                      const RefreshRotation& rotation) override;
  absl::StatusOr<std::optional<RefreshTokenState>> Lookup(
      absl::string_view family_id, absl::string_view token_hash) override;
  absl::Status RevokeFamily(absl::string_view family_id) override;
  absl::Status CreateGrant(const RefreshGrant& grant) override;
  absl::StatusOr<std::vector<GrantSummary>> ListGrants(absl::string_view subject,
                                                       int limit) override;

 private:
  RedisStore* s_;
};

class RedisRevocations final : public RevocationStore {
 public:
  explicit RedisRevocations(RedisStore* s) : s_(s) {}
  absl::Status Revoke(absl::string_view jti, absl::Duration ttl) override;
  absl::StatusOr<bool> IsRevoked(absl::string_view jti) override;
  absl::Status RevokeOwner(Owner owner, absl::string_view id, int64_t not_before_ms,
                           absl::Duration ttl) override;
  absl::StatusOr<int64_t> OwnerNotBefore(Owner owner, absl::string_view id) override;
  absl::StatusOr<RevocationState> Check(const RevocationQuery& query) override;

 private:
  RedisStore* s_;
};

class RedisCounters final : public CounterStore {
 public:
  explicit RedisCounters(RedisStore* s) : s_(s) {}
  absl::StatusOr<int64_t> Increment(absl::string_view key,
                                    absl::Duration window) override;
  absl::StatusOr<int64_t> Get(absl::string_view key) override;
  absl::Status Reset(absl::string_view key) override;
  absl::Status Decrement(absl::string_view key) override;

 private:
  RedisStore* s_;
};

class RedisReplays final : public ReplayStore {
 public:
  explicit RedisReplays(RedisStore* s) : s_(s) {}
  absl::StatusOr<bool> MarkUsed(absl::string_view key, absl::Duration ttl) override;

 private:
  RedisStore* s_;
};

class RedisDevices final : public DeviceStore {
 public:
  explicit RedisDevices(RedisStore* s) : s_(s) {}
  absl::Status Save(absl::string_view device_code_hash, absl::string_view user_code_hash,
                    const DeviceAuthorization& authorization, absl::Duration ttl) override;
  absl::StatusOr<std::optional<DeviceAuthorization>> FindByUserCode(
      absl::string_view user_code_hash, int64_t now_ms) override;
  absl::StatusOr<bool> Decide(absl::string_view user_code_hash,
                              const DeviceDecision& decision, int64_t now_ms) override;
  absl::StatusOr<PollResult> Poll(absl::string_view device_code_hash,
                                  absl::string_view client_id, int64_t now_ms) override;

 private:
  RedisStore* s_;
};

class RedisStore final : public Store {
 public:
  explicit RedisStore(const RedisOptions& options)
      : prefix_(options.key_prefix),
        wait_replicas_(options.wait_replicas),
        wait_replicas_arg_(absl::StrCat(options.wait_replicas)),
        wait_timeout_(options.wait_timeout),
        wait_timeout_arg_(absl::StrCat(absl::ToInt64Milliseconds(options.wait_timeout))),
        failover_wait_(options.failover_wait),
        on_revocation_(options.on_revocation),
        pool_(MakeConnectionConfig(options), MakeLocator(options), options.pool_size,
              options.pool_wait_timeout),
        clients_api_(this),
        users_api_(this),
        codes_api_(this),
        refresh_api_(this),
        revocations_api_(this),
        counters_api_(this),
        replays_api_(this),
        devices_api_(this) {}

  ClientStore& clients() override { return clients_api_; }
  UserStore& users() override { return users_api_; }
  CodeStore& codes() override { return codes_api_; }
  RefreshTokenStore& refresh_tokens() override { return refresh_api_; }
  RevocationStore& revocations() override { return revocations_api_; }
  CounterStore& counters() override { return counters_api_; }
  ReplayStore& replays() override { return replays_api_; }

  DeviceStore& devices() override { return devices_api_; }

  absl::Status Ping() override {
    ASSIGN_OR_RETURN(ReplyPtr reply, Call({"PING"}));
    if (reply->type != REDIS_REPLY_STATUS ||
        absl::string_view(reply->str, reply->len) != "PONG") {
      return absl::InternalError("redis: unexpected PING reply");
    }
    return absl::OkStatus();
  }

  // Opens one connection so the first request does not pay for it.
  void WarmUp() { (void)pool_.Acquire(); }

  // One command; error replies become statuses. `repeat`: see Repeat.
  absl::StatusOr<ReplyPtr> Call(std::initializer_list<absl::string_view> argv,
                                Ack ack = Ack::kPrimary,
                                Repeat repeat = Repeat::kNever) {
    const absl::Time deadline = FailoverDeadline();
    for (;;) {
      ASSIGN_OR_RETURN(ConnectionPool::Lease lease, pool_.Acquire(deadline));
      absl::StatusOr<ReplyPtr> reply =
          Send(*lease, absl::MakeConstSpan(argv.begin(), argv.size()), ack, deadline);
      if (!reply.ok()) {
        if (SendAgain(reply.status(), *lease, repeat, deadline)) continue;
        return reply.status();
      }
      if ((*reply)->type == REDIS_REPLY_ERROR) {
        return redis_internal::ErrorReplyToStatus(
            absl::string_view((*reply)->str, (*reply)->len), &*lease);
      }
      return reply;
    }
  }

  // One script run: EVALSHA, and EVAL on the same connection after NOSCRIPT.
  absl::StatusOr<ReplyPtr> Eval(ScriptId id,
                                std::initializer_list<absl::string_view> keys,
                                std::initializer_list<absl::string_view> args,
                                Ack ack = Ack::kPrimary,
                                Repeat repeat = Repeat::kNever) {
    return EvalSpan(id, keys, absl::MakeConstSpan(args.begin(), args.size()), ack, repeat);
  }

  absl::StatusOr<ReplyPtr> EvalSpan(ScriptId id,
                                    std::initializer_list<absl::string_view> keys,
                                    absl::Span<const absl::string_view> args,
                                    Ack ack, Repeat repeat = Repeat::kNever) {
    const redis_internal::Script& script = Scripts()[static_cast<size_t>(id)];
    const std::string numkeys = absl::StrCat(keys.size());
    absl::InlinedVector<absl::string_view, 24> argv;
    argv.push_back("EVALSHA");
    argv.push_back(script.sha1);
    argv.push_back(numkeys);
    argv.insert(argv.end(), keys.begin(), keys.end());
    argv.insert(argv.end(), args.begin(), args.end());
    const absl::Time deadline = FailoverDeadline();
    for (;;) {
      argv[0] = "EVALSHA";
      argv[1] = script.sha1;
      ASSIGN_OR_RETURN(ConnectionPool::Lease lease, pool_.Acquire(deadline));
      absl::StatusOr<ReplyPtr> reply = Send(*lease, argv, ack, deadline);
      if (reply.ok() && (*reply)->type == REDIS_REPLY_ERROR &&
          absl::StartsWith(absl::string_view((*reply)->str, (*reply)->len), "NOSCRIPT")) {
        argv[0] = "EVAL";
        argv[1] = script.body;
        reply = Send(*lease, argv, ack, deadline);
      }
      if (!reply.ok()) {
        if (SendAgain(reply.status(), *lease, repeat, deadline)) continue;
        return reply.status();
      }
      if ((*reply)->type == REDIS_REPLY_ERROR) {
        return redis_internal::ErrorReplyToStatus(
            absl::string_view((*reply)->str, (*reply)->len), &*lease);
      }
      return reply;
    }
  }

  // After `failed` on `conn`: true when the call should be sent again — it
  // is repeatable, there is time left, and a failover has been announced
  // since `conn`'s primary was chosen (so the answer may have been lost with
  // the old primary, and the next Acquire waits for the new one).
  bool SendAgain(const absl::Status& failed, const Connection& conn, Repeat repeat,
                 absl::Time deadline) {
    return repeat == Repeat::kSafe && absl::IsUnavailable(failed) &&
           absl::Now() < deadline && !pool_.locator().IsCurrent(conn.generation());
  }

  // One command of a Batch: a plain command, or a script run (EVALSHA,
  // resent as EVAL after NOSCRIPT) when `script` is set.
  struct BatchCommand {
    std::optional<ScriptId> script;
    std::vector<absl::string_view> argv;  // for a script: keys then args
    size_t numkeys = 0;
  };

  // Sends `commands` in one write and reads their replies (one round trip;
  // a script the server lost costs one more). Error replies become statuses.
  // Only for writes that need no replica acknowledgement (Ack::kPrimary).
  absl::StatusOr<Connection::Replies> Batch(absl::Span<const BatchCommand> commands) {
    std::vector<std::string> numkeys(commands.size());
    std::vector<std::vector<absl::string_view>> argvs(commands.size());
    for (size_t i = 0; i < commands.size(); ++i) {
      const BatchCommand& c = commands[i];
      if (c.script) {
        numkeys[i] = absl::StrCat(c.numkeys);
        argvs[i] = {"EVALSHA", Scripts()[static_cast<size_t>(*c.script)].sha1,
                    numkeys[i]};
      }
      argvs[i].insert(argvs[i].end(), c.argv.begin(), c.argv.end());
    }
    std::vector<absl::Span<const absl::string_view>> spans(argvs.begin(), argvs.end());
    ASSIGN_OR_RETURN(ConnectionPool::Lease lease, pool_.Acquire(FailoverDeadline()));
    ASSIGN_OR_RETURN(Connection::Replies replies, lease->Pipeline(spans));
    for (size_t i = 0; i < replies.size(); ++i) {
      redisReply* r = replies[i].get();
      if (r->type == REDIS_REPLY_ERROR && commands[i].script &&
          absl::StartsWith(absl::string_view(r->str, r->len), "NOSCRIPT")) {
        argvs[i][0] = "EVAL";
        argvs[i][1] = Scripts()[static_cast<size_t>(*commands[i].script)].body;
        ASSIGN_OR_RETURN(replies[i], lease->Command(argvs[i]));
        r = replies[i].get();
      }
      if (r->type == REDIS_REPLY_ERROR) {
        return redis_internal::ErrorReplyToStatus(absl::string_view(r->str, r->len),
                                                  &*lease);
      }
    }
    return replies;
  }

  // Until when one call may wait for a failover: RedisOptions::failover_wait,
  // and never past the deadline of the request it serves (less a margin to
  // answer it): an answer nobody waits for any more is worse than an error,
  // since the caller may retry a write that was made.
  absl::Time FailoverDeadline() const {
    if (failover_wait_ <= absl::ZeroDuration()) return absl::InfinitePast();
    return std::min(absl::Now() + failover_wait_,
                    CurrentCallDeadline() - kAnswerMargin);
  }

  // Sends `argv`. For Ack::kReplicas with WAIT configured:
  // 1. ROLE first (one round trip): with fewer online replicas than required
  //    the write is not made at all (UNAVAILABLE). Without this, a primary
  //    that has lost its replica (the failover window) would apply a refresh
  //    rotation, report UNAVAILABLE, and the client's retry would look like
  //    reuse and revoke the whole family. Skipped if ROLE is not allowed.
  //    Right after a failover the new primary has no replica until the old
  //    one rejoins: ROLE is asked again every 25 ms until `deadline`, and at
  //    most failover_wait after any caller first found replicas missing.
  // 2. `argv` and WAIT pipelined (one round trip). An error reply to `argv`
  //    is returned as a reply, whatever WAIT said. A successful write that
  //    too few replicas acknowledged in time (a replica that has just
  //    rejoined and not yet acknowledged anything, one that lags, or one
  //    that left between the two steps) is waited for with WAIT again, on
  //    the same connection, until `deadline` — but only while this primary
  //    is still the current one (no failover announced): then UNAVAILABLE.
  // Giving up marks the connection suspect: a failover may be under way.
  absl::StatusOr<ReplyPtr> Send(Connection& conn,
                                absl::Span<const absl::string_view> argv, Ack ack,
                                absl::Time deadline) {
    if (ack == Ack::kPrimary || wait_replicas_ == 0) return conn.Command(argv);
    const absl::string_view role[] = {"ROLE"};
    for (;;) {
      ASSIGN_OR_RETURN(ReplyPtr roles, conn.Command(role));
      // ["master", offset, [[ip, port, offset], ...]] lists online replicas.
      if (roles->type != REDIS_REPLY_ARRAY || roles->elements < 3 ||
          roles->element[2]->type != REDIS_REPLY_ARRAY ||
          roles->element[2]->elements >= static_cast<size_t>(wait_replicas_)) {
        replicas_short_.End();
        break;
      }
      const absl::Time now = absl::Now();
      const absl::Time limit =
          std::min(deadline, replicas_short_.Begin(now) + failover_wait_);
      if (now < limit) {
        absl::SleepFor(std::min(absl::Milliseconds(25), limit - now));
        continue;
      }
      conn.MarkSuspect();
      return absl::UnavailableError(absl::StrCat(
          "redis ", conn.endpoint(), ": ", roles->element[2]->elements,
          " replica(s) online, ", wait_replicas_,
          " required; write refused before it was made"));
    }
    const absl::string_view wait[] = {"WAIT", wait_replicas_arg_, wait_timeout_arg_};
    ASSIGN_OR_RETURN(Connection::Replies replies, conn.Pipeline({argv, wait}));
    ReplyPtr reply = std::move(replies[0]);
    if (reply->type == REDIS_REPLY_ERROR) return reply;
    ReplyPtr acked = std::move(replies[1]);
    for (;;) {
      if (acked->type == REDIS_REPLY_ERROR) {
        return redis_internal::ErrorReplyToStatus(
            absl::string_view(acked->str, acked->len), &conn);
      }
      if (acked->type == REDIS_REPLY_INTEGER && acked->integer >= wait_replicas_) {
        return reply;
      }
      // WAIT covers every earlier write of this connection: asking again
      // still asks about this one.
      if (absl::Now() >= deadline || !pool_.locator().IsCurrent(conn.generation())) break;
      ASSIGN_OR_RETURN(acked, conn.Command(wait));
    }
    conn.MarkSuspect();
    return absl::UnavailableError(absl::StrCat(
        "redis ", conn.endpoint(), ": write acknowledged by ",
        acked->type == REDIS_REPLY_INTEGER ? acked->integer : 0, " of ",
        wait_replicas_, " replica(s) within ", absl::FormatDuration(wait_timeout_),
        "; a failover could lose it, so it is not reported as done"));
  }

  // Tells every replica's revocation view (revocation_view.h) about a
  // revocation just written: the local one at once, the others through the
  // feed index and a Pub/Sub message, in one round trip. An error means the
  // other replicas may learn of it only at their next resynchronisation, so
  // the caller reports the revocation as failed (retrying is harmless).
  absl::Status Announce(RevocationEvent event) {
    if (event.expires_ms <= 0) {
      // PEXPIRETIME of a key without a TTL (never written so by oauthd):
      // keep the entry as long as any grant could live.
      event.expires_ms = absl::ToUnixMillis(absl::Now() + absl::Hours(24 * 800));
    }
    if (on_revocation_) on_revocation_(event);
    const std::string score = absl::StrCat(event.expires_ms);
    const std::string now = absl::StrCat(absl::ToUnixMillis(absl::Now()));
    const std::string member = redis_internal::FeedIndexMember(event);
    const std::string message = redis_internal::FeedMessage(event);
    const std::string index = FeedIndexKey(event.kind);
    const std::string channel = FeedChannel();
    BatchCommand commands[2];
    commands[0].script = ScriptId::kFeedIndex;
    commands[0].numkeys = 1;
    commands[0].argv = {index, score, member, now};
    commands[1].argv = {"PUBLISH", channel, message};
    // The revocation itself is already written; losing its announcement
    // would leave other replicas' views without it until they resync, and a
    // caller may not be able to repeat the write (reuse detection), so a
    // failed announcement is retried here before it is reported.
    absl::Status announced;
    for (int attempt = 0; attempt < 3; ++attempt) {
      announced = Batch(commands).status();
      if (announced.ok()) break;
      absl::SleepFor(absl::Milliseconds(20 * (attempt + 1)));
    }
    return announced;
  }

  // Keys (see the schema in redis_store.h).
  std::string FeedChannel() const { return absl::StrCat(prefix_, "revocations"); }
  std::string FeedIndexKey(RevocationEvent::Kind kind) const {
    return absl::StrCat(prefix_, redis_internal::FeedIndexSuffix(kind));
  }
  std::string ClientKey(absl::string_view id) const {
    return absl::StrCat(prefix_, "client:", id);
  }
  std::string ClientPrefix() const { return absl::StrCat(prefix_, "client:"); }
  std::string ClientIndex() const { return absl::StrCat(prefix_, "clients"); }
  std::string UserKey(absl::string_view name) const {
    return absl::StrCat(prefix_, "user:", name);
  }
  std::string UserPrefix() const { return absl::StrCat(prefix_, "user:"); }
  std::string UserIndex() const { return absl::StrCat(prefix_, "users"); }
  std::string CodeKey(absl::string_view hash) const {
    return absl::StrCat(prefix_, "code:", hash);
  }
  std::string TokenKey(absl::string_view family, absl::string_view hash) const {
    return absl::StrCat(prefix_, "rt:{", family, "}:", hash);
  }
  std::string FamilyKey(absl::string_view family) const {
    return absl::StrCat(GrantKeyPrefix(), family, "}");
  }
  // Up to the hash tag's opening brace (kListGrants appends "<id>}").
  std::string GrantKeyPrefix() const { return absl::StrCat(prefix_, "grant:{"); }
  std::string GrantIndexKey(absl::string_view subject) const {
    return absl::StrCat(prefix_, "grants:", subject);
  }
  std::string OwnerKey(Owner owner, absl::string_view id) const {
    return absl::StrCat(prefix_, owner == Owner::kUser ? "nbf:user:" : "nbf:client:", id);
  }
  std::string RevokedKey(absl::string_view jti) const {
    return absl::StrCat(prefix_, "revoked:", jti);
  }
  std::string UsedKey(absl::string_view key) const {
    return absl::StrCat(prefix_, "used:", key);
  }
  std::string CounterKey(absl::string_view key) const {
    return absl::StrCat(prefix_, "counter:", key);
  }
  std::string DeviceKey(absl::string_view hash) const {
    return absl::StrCat(prefix_, "device:", hash);
  }
  std::string UserCodeKey(absl::string_view hash) const {
    return absl::StrCat(prefix_, "usercode:", hash);
  }

 private:
  const std::string prefix_;
  const int wait_replicas_;
  const std::string wait_replicas_arg_;
  const absl::Duration wait_timeout_;
  const std::string wait_timeout_arg_;
  const absl::Duration failover_wait_;
  // Since when security-relevant writes have found too few replicas online
  // (InfiniteFuture: enough now). Bounds the waiting of every caller.
  redis_internal::Episode replicas_short_;
  const std::function<void(const RevocationEvent&)> on_revocation_;
  ConnectionPool pool_;
  RedisClients clients_api_;
  RedisUsers users_api_;
  RedisCodes codes_api_;
  RedisRefreshTokens refresh_api_;
  RedisRevocations revocations_api_;
  RedisCounters counters_api_;
  RedisReplays replays_api_;
  RedisDevices devices_api_;
};

// ---- clients and users --------------------------------------------------------

// Shared by clients and users: records are serialized protos in string keys,
// with a zset of ids for listing.
struct RecordKind {
  absl::string_view what;  // "client" / "user"
  std::string key;
  std::string index;
  std::string prefix;
};

absl::Status CreateRecord(RedisStore* s, const RecordKind& kind,
                          absl::string_view id,
                          const google::protobuf::MessageLite& record) {
  if (id.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(kind.what, " id is empty"));
  }
  std::string value;
  if (!record.SerializeToString(&value)) {
    return absl::InternalError(absl::StrCat("cannot serialize ", kind.what));
  }
  ASSIGN_OR_RETURN(ReplyPtr reply, s->Eval(ScriptId::kCreateRecord,
                                           {kind.key, kind.index}, {id, value}));
  ASSIGN_OR_RETURN(int64_t created, redis_internal::ReplyInteger(reply.get()));
  if (created == 0) {
    return absl::AlreadyExistsError(
        absl::StrCat(kind.what, " '", id, "' already exists"));
  }
  return absl::OkStatus();
}

absl::Status UpdateRecord(RedisStore* s, const RecordKind& kind,
                          absl::string_view id,
                          const google::protobuf::MessageLite& record) {
  if (id.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(kind.what, " id is empty"));
  }
  std::string value;
  if (!record.SerializeToString(&value)) {
    return absl::InternalError(absl::StrCat("cannot serialize ", kind.what));
  }
  ASSIGN_OR_RETURN(ReplyPtr reply,
                   s->Call({"SET", kind.key, value, "XX"}, Ack::kReplicas, Repeat::kSafe));
  if (reply->type == REDIS_REPLY_NIL) {
    return absl::NotFoundError(absl::StrCat(kind.what, " '", id, "' not found"));
  }
  return absl::OkStatus();
}

template <typename Record>
absl::StatusOr<std::optional<Record>> GetRecord(RedisStore* s,
                                                const RecordKind& kind) {
  ASSIGN_OR_RETURN(ReplyPtr reply, s->Call({"GET", kind.key}));
  if (reply->type == REDIS_REPLY_NIL) return std::nullopt;
  Record record;
  if (reply->type != REDIS_REPLY_STRING ||
      !record.ParseFromArray(reply->str, static_cast<int>(reply->len))) {
    return absl::InternalError(absl::StrCat("redis: undecodable ", kind.what,
                                            " record at ", kind.key));
  }
  return record;
}

absl::Status DeleteRecord(RedisStore* s, const RecordKind& kind,
                          absl::string_view id) {
  ASSIGN_OR_RETURN(ReplyPtr reply,
                   s->Eval(ScriptId::kDeleteRecord, {kind.key, kind.index}, {id},
                           Ack::kReplicas));
  ASSIGN_OR_RETURN(int64_t deleted, redis_internal::ReplyInteger(reply.get()));
  if (deleted == 0) {
    return absl::NotFoundError(absl::StrCat(kind.what, " '", id, "' not found"));
  }
  return absl::OkStatus();
}

template <typename Record>
absl::StatusOr<std::vector<Record>> ListRecords(RedisStore* s,
                                                const RecordKind& kind,
                                                absl::string_view after,
                                                int limit) {
  if (limit < 1) return absl::InvalidArgumentError("list limit must be >= 1");
  const std::string min = after.empty() ? "-" : absl::StrCat("(", after);
  const std::string count = absl::StrCat(limit);
  ASSIGN_OR_RETURN(ReplyPtr reply, s->Eval(ScriptId::kListRecords, {kind.index},
                                           {min, count, kind.prefix}));
  if (reply->type != REDIS_REPLY_ARRAY) {
    return absl::InternalError("redis: list script returned no array");
  }
  std::vector<Record> out;
  out.reserve(reply->elements);
  for (size_t i = 0; i < reply->elements; ++i) {
    const redisReply* e = reply->element[i];
    Record record;
    if (e->type != REDIS_REPLY_STRING ||
        !record.ParseFromArray(e->str, static_cast<int>(e->len))) {
      return absl::InternalError(
          absl::StrCat("redis: undecodable ", kind.what, " record in list"));
    }
    out.push_back(std::move(record));
  }
  return out;
}

RecordKind ClientKind(const RedisStore* s, absl::string_view id) {
  return {"client", s->ClientKey(id), s->ClientIndex(), s->ClientPrefix()};
}
RecordKind UserKind(const RedisStore* s, absl::string_view name) {
  return {"user", s->UserKey(name), s->UserIndex(), s->UserPrefix()};
}

absl::Status RedisClients::Create(const ClientRecord& record) {
  const std::string& id = record.client().client_id();
  return CreateRecord(s_, ClientKind(s_, id), id, record);
}
absl::Status RedisClients::Update(const ClientRecord& record) {
  const std::string& id = record.client().client_id();
  return UpdateRecord(s_, ClientKind(s_, id), id, record);
}
absl::StatusOr<std::optional<ClientRecord>> RedisClients::Get(
    absl::string_view client_id) {
  return GetRecord<ClientRecord>(s_, ClientKind(s_, client_id));
}
absl::Status RedisClients::Delete(absl::string_view client_id) {
  return DeleteRecord(s_, ClientKind(s_, client_id), client_id);
}
absl::StatusOr<std::vector<ClientRecord>> RedisClients::List(
    absl::string_view after, int limit) {
  return ListRecords<ClientRecord>(s_, ClientKind(s_, ""), after, limit);
}

absl::Status RedisUsers::Create(const UserRecord& record) {
  const std::string& id = record.user().username();
  return CreateRecord(s_, UserKind(s_, id), id, record);
}
absl::Status RedisUsers::Update(const UserRecord& record) {
  const std::string& id = record.user().username();
  return UpdateRecord(s_, UserKind(s_, id), id, record);
}
absl::StatusOr<std::optional<UserRecord>> RedisUsers::Get(
    absl::string_view username) {
  return GetRecord<UserRecord>(s_, UserKind(s_, username));
}
absl::Status RedisUsers::Delete(absl::string_view username) {
  return DeleteRecord(s_, UserKind(s_, username), username);
}
absl::StatusOr<std::vector<UserRecord>> RedisUsers::List(absl::string_view after,
                                                         int limit) {
  return ListRecords<UserRecord>(s_, UserKind(s_, ""), after, limit);
}

// ---- authorization codes --------------------------------------------------------

absl::Status RedisCodes::Save(absl::string_view code_hash,
                              const AuthorizationCode& code, absl::Duration ttl) {
  if (code_hash.empty()) return absl::InvalidArgumentError("code hash is empty");
  if (absl::ToInt64Milliseconds(ttl) < 1) {
    return absl::InvalidArgumentError("code TTL must be at least 1 ms");
  }
  const std::string ttl_ms = Ms(ttl);
  const std::string audiences = EncodeList(code.audiences);
  const std::string auth_time = absl::StrCat(code.auth_time);
  const std::string granted_ms = absl::StrCat(code.granted_at_ms);
  ASSIGN_OR_RETURN(
      ReplyPtr reply,
      s_->Eval(ScriptId::kSaveCode, {s_->CodeKey(code_hash)},
               {ttl_ms,
                "client_id", code.client_id,
                "redirect_uri", code.redirect_uri,
                "redirect_in_request", code.redirect_uri_in_request ? "1" : "0",
                "scope", code.scope,
                "subject", code.subject,
                "username", code.username,
                "audiences", audiences,
                "code_challenge", code.code_challenge,
                "code_challenge_method", code.code_challenge_method,
                "auth_time", auth_time,
                "grant_id", code.grant_id,
                "granted_ms", granted_ms}));
  ASSIGN_OR_RETURN(int64_t saved, redis_internal::ReplyInteger(reply.get()));
  if (saved == 0) return absl::AlreadyExistsError("authorization code hash collision");
  return absl::OkStatus();
}

absl::StatusOr<RedeemResult> RedisCodes::Redeem(absl::string_view code_hash,
                                                const CodeRedemption& request) {
  using Outcome = RedeemResult::Outcome;
  ASSIGN_OR_RETURN(
      ReplyPtr reply,
      s_->Eval(ScriptId::kRedeemCode, {s_->CodeKey(code_hash)},
               {request.client_id, request.redirect_uri, request.code_verifier,
                request.code_verifier_s256},
               Ack::kReplicas));
  const redisReply* r = reply.get();
  ASSIGN_OR_RETURN(int64_t outcome, ElemInt(r, 0));
  RedeemResult result;
  switch (outcome) {
    case redis_internal::kRedeemOk: result.outcome = Outcome::kRedeemed; break;
    case redis_internal::kRedeemNotFound: result.outcome = Outcome::kNotFound; return result;
    case redis_internal::kRedeemAlreadyRedeemed: result.outcome = Outcome::kAlreadyRedeemed; break;
    case redis_internal::kRedeemClientMismatch: result.outcome = Outcome::kClientMismatch; return result;
    case redis_internal::kRedeemRedirectMismatch: result.outcome = Outcome::kRedirectMismatch; return result;
    case redis_internal::kRedeemVerifierMismatch: result.outcome = Outcome::kVerifierMismatch; return result;
    default:
      return absl::InternalError(absl::StrCat("redis: redeem script returned ", outcome));
  }
  AuthorizationCode& code = result.code;
  ASSIGN_OR_RETURN(code.client_id, Elem(r, 1));
  ASSIGN_OR_RETURN(code.redirect_uri, Elem(r, 2));
  code.redirect_uri_in_request = ElemView(r, 3) == "1";
  ASSIGN_OR_RETURN(code.scope, Elem(r, 4));
  ASSIGN_OR_RETURN(code.subject, Elem(r, 5));
  ASSIGN_OR_RETURN(code.username, Elem(r, 6));
  ASSIGN_OR_RETURN(code.audiences, DecodeList(ElemView(r, 7)));
  ASSIGN_OR_RETURN(code.code_challenge, Elem(r, 8));
  ASSIGN_OR_RETURN(code.code_challenge_method, Elem(r, 9));
  ASSIGN_OR_RETURN(code.auth_time, ElemInt(r, 10));
  ASSIGN_OR_RETURN(code.grant_id, Elem(r, 12));
  ASSIGN_OR_RETURN(code.granted_at_ms, ElemInt(r, 13));
  return result;
}

// ---- refresh tokens ----------------------------------------------------------

absl::Status RedisRefreshTokens::Create(absl::string_view token_hash,
                                        const RefreshGrant& grant,
                                        int64_t ttl_seconds) {
  if (token_hash.empty()) return absl::InvalidArgumentError("token hash is empty");
  if (grant.family_id.empty()) return absl::InvalidArgumentError("family id is empty");
  if (ttl_seconds <= 0) return absl::InvalidArgumentError("token TTL must be > 0");
  if (grant.expires_at <= 0 || grant.family_expires_at <= 0) {
    return absl::InvalidArgumentError("expires_at and family_expires_at must be set");
  }
  const std::string family_exp = absl::StrCat(grant.family_expires_at);
  const std::string grant_exp = absl::StrCat(
      grant.grant_expires_at > 0 ? grant.grant_expires_at : grant.family_expires_at);
  const std::string ttl = absl::StrCat(ttl_seconds);
  const std::string audiences = EncodeList(grant.audiences);
  const std::string issued_at = absl::StrCat(grant.issued_at);
  const std::string expires_at = absl::StrCat(grant.expires_at);
  const std::string granted_ms = absl::StrCat(grant.granted_at_ms);
  const std::string token_key = s_->TokenKey(grant.family_id, token_hash);
  const std::string grant_key = s_->FamilyKey(grant.family_id);
  const std::string index_key = s_->GrantIndexKey(grant.subject);
  RedisStore::BatchCommand commands[2];
  commands[0].script = ScriptId::kCreateRefresh;
  commands[0].numkeys = 2;
  commands[0].argv = {token_key, grant_key,
                      grant_exp, ttl, granted_ms, issued_at,
                      grant.client_id, grant.subject, grant.scope,
                      "client_id", grant.client_id,
                      "subject", grant.subject,
                      "username", grant.username,
                      "scope", grant.scope,
                      "audiences", audiences,
                      "issued_at", issued_at,
                      "expires_at", expires_at,
                      "family_expires_at", family_exp};
  // The subject's index goes in the same round trip (another slot on a
  // cluster, so not in the script); an entry whose grant never started is
  // skipped when listing.
  commands[1].script = ScriptId::kIndexGrant;
  commands[1].numkeys = 1;
  commands[1].argv = {index_key, grant_exp, grant.family_id, issued_at};
  const size_t n = grant.subject.empty() ? 1 : 2;
  ASSIGN_OR_RETURN(Connection::Replies replies,
                   s_->Batch(absl::MakeConstSpan(commands, n)));
  ASSIGN_OR_RETURN(int64_t created, redis_internal::ReplyInteger(replies[0].get()));
  if (created == 0) return absl::FailedPreconditionError("grant is revoked");
  if (created < 0) return absl::AlreadyExistsError("refresh token hash collision");
  return absl::OkStatus();
}

absl::Status RedisRefreshTokens::CreateGrant(const RefreshGrant& grant) {
  if (grant.family_id.empty()) return absl::InvalidArgumentError("grant id is empty");
  if (grant.grant_expires_at <= 0) {
    return absl::InvalidArgumentError("grant_expires_at must be set");
  }
  const std::string grant_exp = absl::StrCat(grant.grant_expires_at);
  const std::string granted_ms = absl::StrCat(grant.granted_at_ms);
  const std::string now = absl::StrCat(grant.issued_at);
  const std::string grant_key = s_->FamilyKey(grant.family_id);
  const std::string index_key = s_->GrantIndexKey(grant.subject);
  RedisStore::BatchCommand commands[2];
  commands[0].script = ScriptId::kCreateGrant;
  commands[0].numkeys = 1;
  commands[0].argv = {grant_key, grant_exp, granted_ms, now,
                      grant.client_id, grant.subject, grant.scope};
  commands[1].script = ScriptId::kIndexGrant;
  commands[1].numkeys = 1;
  commands[1].argv = {index_key, grant_exp, grant.family_id, now};
  const size_t n = grant.subject.empty() ? 1 : 2;
  ASSIGN_OR_RETURN(Connection::Replies replies,
                   s_->Batch(absl::MakeConstSpan(commands, n)));
  ASSIGN_OR_RETURN(int64_t created, redis_internal::ReplyInteger(replies[0].get()));
  if (created == 0) return absl::FailedPreconditionError("grant is revoked");
  if (created < 0) return absl::AlreadyExistsError("grant exists");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<GrantSummary>> RedisRefreshTokens::ListGrants(
    absl::string_view subject, int limit) {
  if (subject.empty()) return absl::InvalidArgumentError("subject is empty");
  if (limit < 1) return absl::InvalidArgumentError("list limit must be >= 1");
  // The script's "now" only skips ended index entries; the grant records'
  // own expiry is exact.
  const std::string now = absl::StrCat(absl::ToUnixSeconds(absl::Now()));
  const std::string count = absl::StrCat(limit);
  ASSIGN_OR_RETURN(ReplyPtr reply,
                   s_->Eval(ScriptId::kListGrants, {s_->GrantIndexKey(subject)},
                            {now, count, s_->GrantKeyPrefix()}));
  if (reply->type != REDIS_REPLY_ARRAY) {
    return absl::InternalError("redis: list grants returned no array");
  }
  std::vector<GrantSummary> out;
  for (size_t i = 0; i < reply->elements; ++i) {
    const redisReply* e = reply->element[i];
    GrantSummary g;
    ASSIGN_OR_RETURN(g.grant_id, Elem(e, 0));
    ASSIGN_OR_RETURN(g.client_id, Elem(e, 1));
    ASSIGN_OR_RETURN(g.scope, Elem(e, 2));
    ASSIGN_OR_RETURN(g.granted_at_ms, ElemInt(e, 3));
    ASSIGN_OR_RETURN(g.last_used_at, ElemInt(e, 4));
    ASSIGN_OR_RETURN(g.expires_at, ElemInt(e, 5));
    out.push_back(std::move(g));
  }
  return out;
}

// Fills `grant` from reply elements [first, first + 8): client_id, subject,
// username, scope, audiences, issued_at, expires_at, family_expires_at.
absl::Status ParseGrant(const redisReply* r, size_t first, RefreshGrant& grant) {
  ASSIGN_OR_RETURN(grant.client_id, Elem(r, first));
  ASSIGN_OR_RETURN(grant.subject, Elem(r, first + 1));
  ASSIGN_OR_RETURN(grant.username, Elem(r, first + 2));
  ASSIGN_OR_RETURN(grant.scope, Elem(r, first + 3));
  ASSIGN_OR_RETURN(grant.audiences, DecodeList(ElemView(r, first + 4)));
  ASSIGN_OR_RETURN(grant.issued_at, ElemInt(r, first + 5));
  ASSIGN_OR_RETURN(grant.expires_at, ElemInt(r, first + 6));
  ASSIGN_OR_RETURN(grant.family_expires_at, ElemInt(r, first + 7));
  return absl::OkStatus();
}

absl::StatusOr<RotateResult> RedisRefreshTokens::Rotate(
    absl::string_view family_id, absl::string_view token_hash,
    const RefreshRotation& rotation) {
  using Outcome = RotateResult::Outcome;
  if (family_id.empty()) return absl::InvalidArgumentError("family id is empty");
  if (rotation.successor_hash.empty() || rotation.successor_hash == token_hash) {
    return absl::InvalidArgumentError("successor hash is empty or not new");
  }
  if (rotation.successor_ttl_seconds <= 0) {
    return absl::InvalidArgumentError("successor TTL must be > 0");
  }
  if (rotation.grace_seconds < 0 || rotation.retry_grace_seconds < 0) {
    return absl::InvalidArgumentError("grace must be >= 0");
  }
  const std::string now = absl::StrCat(rotation.now);
  const std::string ttl = absl::StrCat(rotation.successor_ttl_seconds);
  const std::string grace = absl::StrCat(rotation.grace_seconds);
  ASSIGN_OR_RETURN(
      ReplyPtr reply,
      s_->Eval(ScriptId::kRotateRefresh,
               {s_->TokenKey(family_id, token_hash), s_->FamilyKey(family_id),
                s_->TokenKey(family_id, rotation.successor_hash)},
               {rotation.client_id, rotation.requested_scope, now, ttl, grace,
                rotation.sealed_successor, absl::StrCat(rotation.retry_grace_seconds)},
               Ack::kReplicas, Repeat::kSafe));
  const redisReply* r = reply.get();
  ASSIGN_OR_RETURN(int64_t outcome, ElemInt(r, 0));
  RotateResult result;
  switch (outcome) {
    case redis_internal::kRotateOk: result.outcome = Outcome::kRotated; break;
    case redis_internal::kRotateGrace: result.outcome = Outcome::kGraceReplay; break;
    case redis_internal::kRotateReuse: result.outcome = Outcome::kReuseDetected; break;
    case redis_internal::kRotateNotFound: result.outcome = Outcome::kNotFound; return result;
    case redis_internal::kRotateClientMismatch: result.outcome = Outcome::kClientMismatch; return result;
    case redis_internal::kRotateScopeWidened: result.outcome = Outcome::kScopeWidened; return result;
    case redis_internal::kRotateCollision:
      return absl::AlreadyExistsError("refresh token hash collision");
    default:
      return absl::InternalError(absl::StrCat("redis: rotate script returned ", outcome));
  }
  result.grant.family_id = std::string(family_id);
  RETURN_IF_ERROR(ParseGrant(r, 1, result.grant));
  ASSIGN_OR_RETURN(result.sealed_successor, Elem(r, 9));
  ASSIGN_OR_RETURN(result.grant.granted_at_ms, ElemInt(r, 10));
  if (result.outcome == Outcome::kReuseDetected) {
    ASSIGN_OR_RETURN(const int64_t expires_ms, ElemInt(r, 11));
    RETURN_IF_ERROR(s_->Announce(GrantRevoked(family_id, expires_ms)));
  }
  return result;
}

absl::StatusOr<std::optional<RefreshTokenState>> RedisRefreshTokens::Lookup(
    absl::string_view family_id, absl::string_view token_hash) {
  if (family_id.empty()) return absl::InvalidArgumentError("family id is empty");
  ASSIGN_OR_RETURN(ReplyPtr reply,
                   s_->Eval(ScriptId::kLookupRefresh,
                            {s_->TokenKey(family_id, token_hash),
                             s_->FamilyKey(family_id)},
                            {}));
  const redisReply* r = reply.get();
  if (r->type == REDIS_REPLY_NIL) return std::nullopt;
  if (r->type != REDIS_REPLY_ARRAY || r->elements < 10) {
    return absl::InternalError("redis: unexpected lookup reply");
  }
  RefreshTokenState state;
  state.grant.family_id = std::string(family_id);
  RETURN_IF_ERROR(ParseGrant(r, 0, state.grant));
  ASSIGN_OR_RETURN(state.grant.granted_at_ms, ElemInt(r, 9));
  state.rotated = r->element[8]->type != REDIS_REPLY_NIL;
  return state;
}

absl::Status RedisRefreshTokens::RevokeFamily(absl::string_view family_id) {
  if (family_id.empty()) return absl::InvalidArgumentError("family id is empty");
  const std::string ttl = absl::StrCat(kUnknownFamilyRevocationSeconds);
  ASSIGN_OR_RETURN(ReplyPtr reply, s_->Eval(ScriptId::kRevokeFamily, {s_->FamilyKey(family_id)},
                                            {ttl}, Ack::kReplicas, Repeat::kSafe));
  ASSIGN_OR_RETURN(const int64_t expires_ms, redis_internal::ReplyInteger(reply.get()));
  return s_->Announce(GrantRevoked(family_id, expires_ms));
}

// ---- revocations and counters -------------------------------------------------

absl::Status RedisRevocations::Revoke(absl::string_view jti, absl::Duration ttl) {
  if (jti.empty()) return absl::InvalidArgumentError("jti is empty");
  if (absl::ToInt64Milliseconds(ttl) < 1) {
    return absl::InvalidArgumentError("revocation TTL must be at least 1 ms");
  }
  RETURN_IF_ERROR(
      s_->Call({"SET", s_->RevokedKey(jti), "1", "PX", Ms(ttl)}, Ack::kReplicas,
               Repeat::kSafe).status());
  RevocationEvent event;
  event.kind = RevocationEvent::Kind::kJti;
  event.id = std::string(jti);
  event.expires_ms = absl::ToUnixMillis(absl::Now() + ttl);
  return s_->Announce(event);
}

absl::StatusOr<bool> RedisRevocations::IsRevoked(absl::string_view jti) {
  if (jti.empty()) return absl::InvalidArgumentError("jti is empty");
  ASSIGN_OR_RETURN(ReplyPtr reply, s_->Call({"EXISTS", s_->RevokedKey(jti)}));
  ASSIGN_OR_RETURN(int64_t n, redis_internal::ReplyInteger(reply.get()));
  return n > 0;
}

absl::Status RedisRevocations::RevokeOwner(Owner owner, absl::string_view id,
                                           int64_t not_before_ms, absl::Duration ttl) {
  if (id.empty()) return absl::InvalidArgumentError("owner id is empty");
  if (not_before_ms <= 0) return absl::InvalidArgumentError("not_before must be > 0");
  if (absl::ToInt64Milliseconds(ttl) < 1) {
    return absl::InvalidArgumentError("owner revocation TTL must be at least 1 ms");
  }
  const std::string value = absl::StrCat(not_before_ms);
  ASSIGN_OR_RETURN(ReplyPtr reply, s_->Eval(ScriptId::kRevokeOwner, {s_->OwnerKey(owner, id)},
                                            {value, Ms(ttl)}, Ack::kReplicas, Repeat::kSafe));
  RevocationEvent event;
  event.kind = owner == Owner::kUser ? RevocationEvent::Kind::kUser
                                     : RevocationEvent::Kind::kClient;
  event.id = std::string(id);
  ASSIGN_OR_RETURN(event.not_before_ms, redis_internal::ReplyInteger(reply.get()));
  event.expires_ms = absl::ToUnixMillis(absl::Now() + ttl);
  return s_->Announce(event);
}

absl::StatusOr<int64_t> RedisRevocations::OwnerNotBefore(Owner owner,
                                                        absl::string_view id) {
  if (id.empty()) return absl::InvalidArgumentError("owner id is empty");
  ASSIGN_OR_RETURN(ReplyPtr reply, s_->Call({"GET", s_->OwnerKey(owner, id)}));
  return redis_internal::ReplyInteger(reply.get());
}

absl::StatusOr<RevocationState> RedisRevocations::Check(const RevocationQuery& q) {
  // Up to four reads pipelined: one round trip whatever is asked.
  const std::string revoked_key = s_->RevokedKey(q.jti);
  const std::string grant_key = s_->FamilyKey(q.grant_id);
  const std::string user_key = s_->OwnerKey(Owner::kUser, q.user_subject);
  const std::string client_key = s_->OwnerKey(Owner::kClient, q.client_id);
  RedisStore::BatchCommand commands[4];
  size_t n = 0;
  int jti_at = -1, grant_at = -1, user_at = -1, client_at = -1;
  if (!q.jti.empty()) {
    jti_at = static_cast<int>(n);
    commands[n++].argv = {"EXISTS", revoked_key};
  }
  if (!q.grant_id.empty()) {
    grant_at = static_cast<int>(n);
    commands[n++].argv = {"HMGET", grant_key, "state", "granted_ms"};
  }
  if (!q.user_subject.empty()) {
    user_at = static_cast<int>(n);
    commands[n++].argv = {"GET", user_key};
  }
  if (!q.client_id.empty()) {
    client_at = static_cast<int>(n);
    commands[n++].argv = {"GET", client_key};
  }
  RevocationState state;
  if (n == 0) return state;
  ASSIGN_OR_RETURN(Connection::Replies replies,
                   s_->Batch(absl::MakeConstSpan(commands, n)));
  if (jti_at >= 0) {
    ASSIGN_OR_RETURN(int64_t exists, redis_internal::ReplyInteger(replies[jti_at].get()));
    state.jti_revoked = exists > 0;
  }
  if (grant_at >= 0) {
    const redisReply* g = replies[grant_at].get();
    const absl::string_view grant_state = ElemView(g, 0);
    state.grant_found = !grant_state.empty();
    state.grant_revoked = grant_state == "revoked";
    if (grant_state == "active") {
      ASSIGN_OR_RETURN(state.granted_at_ms, ElemInt(g, 1));
    }
  }
  if (user_at >= 0) {
    ASSIGN_OR_RETURN(state.user_not_before_ms,
                     redis_internal::ReplyInteger(replies[user_at].get()));
  }
  if (client_at >= 0) {
    ASSIGN_OR_RETURN(state.client_not_before_ms,
                     redis_internal::ReplyInteger(replies[client_at].get()));
  }
  return state;
}

absl::StatusOr<int64_t> RedisCounters::Increment(absl::string_view key,
                                                 absl::Duration window) {
  if (key.empty()) return absl::InvalidArgumentError("counter key is empty");
  if (absl::ToInt64Milliseconds(window) < 1) {
    return absl::InvalidArgumentError("counter window must be at least 1 ms");
  }
  ASSIGN_OR_RETURN(ReplyPtr reply, s_->Eval(ScriptId::kIncrement,
                                            {s_->CounterKey(key)}, {Ms(window)}));
  return redis_internal::ReplyInteger(reply.get());
}

absl::StatusOr<int64_t> RedisCounters::Get(absl::string_view key) {
  if (key.empty()) return absl::InvalidArgumentError("counter key is empty");
  ASSIGN_OR_RETURN(ReplyPtr reply, s_->Call({"GET", s_->CounterKey(key)}));
  return redis_internal::ReplyInteger(reply.get());
}

absl::Status RedisCounters::Reset(absl::string_view key) {
  if (key.empty()) return absl::InvalidArgumentError("counter key is empty");
  return s_->Call({"DEL", s_->CounterKey(key)}).status();
}

absl::Status RedisCounters::Decrement(absl::string_view key) {
  if (key.empty()) return absl::InvalidArgumentError("counter key is empty");
  return s_->Eval(ScriptId::kDecrement, {s_->CounterKey(key)}, {}).status();
}

absl::StatusOr<bool> RedisReplays::MarkUsed(absl::string_view key, absl::Duration ttl) {
  if (key.empty()) return absl::InvalidArgumentError("replay key is empty");
  if (absl::ToInt64Milliseconds(ttl) < 1) {
    return absl::InvalidArgumentError("replay ttl must be at least 1 ms");
  }
  // One SET NX: atomic across every oauthd; acknowledged by the replicas like
  // a revocation, so a failover does not forget a used value.
  ASSIGN_OR_RETURN(ReplyPtr reply, s_->Call({"SET", s_->UsedKey(key), "1", "NX", "PX", Ms(ttl)},
                                            Ack::kReplicas));
  return reply->type != REDIS_REPLY_NIL;
}

// ---- device authorization ------------------------------------------------------

// Fields client_id scope audiences expires_ms interval (and state) from
// reply elements first.. of `r`.
absl::Status ParseDeviceRequest(const redisReply* r, size_t first, DeviceAuthorization& a) {
  ASSIGN_OR_RETURN(a.client_id, Elem(r, first));
  ASSIGN_OR_RETURN(a.scope, Elem(r, first + 1));
  ASSIGN_OR_RETURN(a.audiences, DecodeList(ElemView(r, first + 2)));
  ASSIGN_OR_RETURN(a.expires_at_ms, ElemInt(r, first + 3));
  ASSIGN_OR_RETURN(a.interval_seconds, ElemInt(r, first + 4));
  const absl::string_view state = ElemView(r, first + 5);
  a.state = state == "approved" ? DeviceAuthorization::State::kApproved
            : state == "denied" ? DeviceAuthorization::State::kDenied
                                : DeviceAuthorization::State::kPending;
  return absl::OkStatus();
}

absl::Status RedisDevices::Save(absl::string_view device_code_hash,
                                absl::string_view user_code_hash,
                                const DeviceAuthorization& a, absl::Duration ttl) {
  if (device_code_hash.empty() || user_code_hash.empty()) {
    return absl::InvalidArgumentError("device or user code hash is empty");
  }
  if (absl::ToInt64Milliseconds(ttl) < 1) {
    return absl::InvalidArgumentError("device code TTL must be at least 1 ms");
  }
  const std::string ttl_ms = Ms(ttl);
  const std::string device_key = s_->DeviceKey(device_code_hash);
  const std::string audiences = EncodeList(a.audiences);
  const std::string expires_ms = absl::StrCat(a.expires_at_ms);
  const std::string interval = absl::StrCat(a.interval_seconds);
  ASSIGN_OR_RETURN(
      ReplyPtr reply,
      s_->Eval(ScriptId::kSaveDevice, {device_key, s_->UserCodeKey(user_code_hash)},
               {ttl_ms, device_key,
                "client_id", a.client_id,
                "scope", a.scope,
                "audiences", audiences,
                "expires_ms", expires_ms,
                "interval", interval,
                "state", "pending",
                "redeemed", "0",
                "last_poll", "0"}));
  ASSIGN_OR_RETURN(int64_t saved, redis_internal::ReplyInteger(reply.get()));
  if (saved == 0) return absl::AlreadyExistsError("device or user code hash collision");
  return absl::OkStatus();
}

absl::StatusOr<std::optional<DeviceAuthorization>> RedisDevices::FindByUserCode(
    absl::string_view user_code_hash, int64_t now_ms) {
  if (user_code_hash.empty()) return std::nullopt;
  const std::string now = absl::StrCat(now_ms);
  ASSIGN_OR_RETURN(ReplyPtr reply, s_->Eval(ScriptId::kFindDevice,
                                            {s_->UserCodeKey(user_code_hash)}, {now}));
  if (reply->type == REDIS_REPLY_NIL) return std::nullopt;
  DeviceAuthorization a;
  RETURN_IF_ERROR(ParseDeviceRequest(reply.get(), 0, a));
  return a;
}

absl::StatusOr<bool> RedisDevices::Decide(absl::string_view user_code_hash,
                                          const DeviceDecision& d, int64_t now_ms) {
  if (user_code_hash.empty()) return false;
  const std::string now = absl::StrCat(now_ms);
  const std::string granted_ms = absl::StrCat(d.granted_at_ms);
  ASSIGN_OR_RETURN(
      ReplyPtr reply,
      s_->Eval(ScriptId::kDecideDevice, {s_->UserCodeKey(user_code_hash)},
               {now, d.approved ? "approved" : "denied", d.subject, d.username, d.grant_id,
                granted_ms},
               Ack::kReplicas));
  ASSIGN_OR_RETURN(int64_t decided, redis_internal::ReplyInteger(reply.get()));
  return decided == 1;
}

absl::StatusOr<PollResult> RedisDevices::Poll(absl::string_view device_code_hash,
                                              absl::string_view client_id, int64_t now_ms) {
  using Outcome = PollResult::Outcome;
  PollResult result;
  if (device_code_hash.empty()) return result;
  const std::string now = absl::StrCat(now_ms);
  ASSIGN_OR_RETURN(ReplyPtr reply,
                   s_->Eval(ScriptId::kPollDevice, {s_->DeviceKey(device_code_hash)},
                            {client_id, now}, Ack::kReplicas));
  const redisReply* r = reply.get();
  ASSIGN_OR_RETURN(int64_t outcome, ElemInt(r, 0));
  switch (outcome) {
    case redis_internal::kPollNotFound: result.outcome = Outcome::kNotFound; return result;
    case redis_internal::kPollClientMismatch: result.outcome = Outcome::kClientMismatch; return result;
    case redis_internal::kPollRedeemed: result.outcome = Outcome::kAlreadyRedeemed; return result;
    case redis_internal::kPollExpired: result.outcome = Outcome::kExpired; return result;
    case redis_internal::kPollDenied: result.outcome = Outcome::kDenied; return result;
    case redis_internal::kPollSlowDown:
    case redis_internal::kPollPending: {
      result.outcome =
          outcome == redis_internal::kPollSlowDown ? Outcome::kSlowDown : Outcome::kPending;
      ASSIGN_OR_RETURN(result.authorization.interval_seconds, ElemInt(r, 1));
      return result;
    }
    case redis_internal::kPollApproved:
      break;
    default:
      return absl::InternalError(absl::StrCat("redis: device poll script returned ", outcome));
  }
  result.outcome = Outcome::kApproved;
  DeviceAuthorization& a = result.authorization;
  RETURN_IF_ERROR(ParseDeviceRequest(r, 1, a));
  ASSIGN_OR_RETURN(a.subject, Elem(r, 7));
  ASSIGN_OR_RETURN(a.username, Elem(r, 8));
  ASSIGN_OR_RETURN(a.grant_id, Elem(r, 9));
  ASSIGN_OR_RETURN(a.granted_at_ms, ElemInt(r, 10));
  return result;
}

void IgnoreSigpipeIfDefault() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction current {};
    if (sigaction(SIGPIPE, nullptr, &current) == 0 &&
        (current.sa_flags & SA_SIGINFO) == 0 && current.sa_handler == SIG_DFL) {
      signal(SIGPIPE, SIG_IGN);
    }
  });
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> NewRedisStore(const RedisOptions& options) {
  RETURN_IF_ERROR(ValidateRedisOptions(options));
  IgnoreSigpipeIfDefault();
  auto store = std::make_unique<RedisStore>(options);
  store->WarmUp();
  return store;
}

}  // namespace oauthd::storage
