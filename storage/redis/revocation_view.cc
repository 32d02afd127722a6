#include "storage/redis/revocation_view.h"

#include <hiredis/hiredis.h>
#include <poll.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "server/core/status_macros.h"
#include "storage/redis/connection.h"
#include "storage/redis/feed.h"
#include "storage/redis/store_setup.h"

namespace oauthd::storage {
namespace {

using redis_internal::Connection;
using redis_internal::ReplyPtr;
using Kind = RevocationEvent::Kind;

constexpr absl::Duration kPingInterval = absl::Milliseconds(250);
constexpr absl::Duration kPollInterval = absl::Milliseconds(100);
constexpr absl::Duration kRetryInterval = absl::Milliseconds(200);
constexpr absl::Duration kPruneInterval = absl::Seconds(10);
constexpr int kResyncBatch = 1000;

absl::string_view Str(const redisReply* r) {
  if (r == nullptr || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS)) return {};
  return absl::string_view(r->str, r->len);
}

class RedisRevocationView final : public RevocationView {
 public:
  RedisRevocationView(const RedisOptions& options, absl::Duration max_staleness)
      : prefix_(options.key_prefix),
        config_(redis_internal::MakeConnectionConfig(options)),
        locator_(redis_internal::MakeLocator(options)),
        max_staleness_(max_staleness) {
    // The feed needs no scripts; a subscribed connection sends none.
    config_.scripts.clear();
    config_.script_shas.clear();
    thread_ = std::thread([this] { Run(); });
  }

  ~RedisRevocationView() override {
    stopping_.store(true);
    thread_.join();
  }

  void Apply(const RevocationEvent& e) override {
    {
      absl::MutexLock lock(&mu_);
      ApplyLocked(e);
    }
    Notify(&e);
  }

  uint64_t AddListener(Listener listener) override {
    absl::MutexLock lock(&listeners_mu_);
    const uint64_t id = ++next_listener_;
    listeners_.emplace(id, std::move(listener));
    return id;
  }

  void RemoveListener(uint64_t id) override {
    absl::MutexLock lock(&listeners_mu_);  // waits for a Notify in progress
    listeners_.erase(id);
  }

  std::vector<RevocationEvent> Snapshot() const override {
    const int64_t now = absl::ToUnixMillis(absl::Now());
    std::vector<RevocationEvent> out;
    absl::ReaderMutexLock lock(&mu_);
    for (const auto& [id, expires] : jtis_) {
      if (expires > now) out.push_back({Kind::kJti, id, 0, expires});
    }
    for (const auto& [id, expires] : grants_) {
      if (expires > now) out.push_back({Kind::kGrant, id, 0, expires});
    }
    for (const auto& [id, o] : users_) {
      if (o.expires_ms > now) out.push_back({Kind::kUser, id, o.not_before_ms, o.expires_ms});
    }
    for (const auto& [id, o] : clients_) {
      if (o.expires_ms > now) out.push_back({Kind::kClient, id, o.not_before_ms, o.expires_ms});
    }
    return out;
  }

  bool Fresh() const override {
    const int64_t heard = last_heard_ns_.load();
    return synced_.load() && heard > 0 && SteadyNs() - heard <= absl::ToInt64Nanoseconds(max_staleness_);
  }

  bool WaitUntilFresh(absl::Duration timeout) override {
    const absl::Time end = absl::Now() + timeout;
    while (!Fresh() && absl::Now() < end) absl::SleepFor(absl::Milliseconds(10));
    return Fresh();
  }

  RevocationViewStats Stats() const override {
    RevocationViewStats stats;
    stats.fresh = Fresh();
    stats.synced = synced_.load();
    const int64_t heard = last_heard_ns_.load();
    stats.silence = absl::Nanoseconds(SteadyNs() - (heard > 0 ? heard : started_ns_));
    stats.resyncs = resyncs_.load(std::memory_order_relaxed);
    stats.messages = messages_.load(std::memory_order_relaxed);
    stats.entries = size();
    return stats;
  }

  size_t size() const override {
    absl::ReaderMutexLock lock(&mu_);
    return jtis_.size() + grants_.size() + users_.size() + clients_.size();
  }

  absl::StatusOr<RevocationState> Check(const RevocationQuery& q) override {
    if (!Fresh()) {
      return absl::UnavailableError(
          "revocation view: not synchronised with Redis within --authz_max_staleness");
    }
    const int64_t now = absl::ToUnixMillis(absl::Now());
    RevocationState state;
    absl::ReaderMutexLock lock(&mu_);
    auto live = [now](const absl::flat_hash_map<std::string, int64_t>& map,
                      const std::string& id) {
      auto it = map.find(id);
      return it != map.end() && it->second > now;
    };
    if (!q.jti.empty()) state.jti_revoked = live(jtis_, q.jti);
    if (!q.grant_id.empty()) {
      // The view knows revocations, not every grant: the grant's instant is
      // left 0 for the caller to read from the grant id.
      state.grant_found = true;
      state.grant_revoked = live(grants_, q.grant_id);
    }
    auto owner = [now](const absl::flat_hash_map<std::string, Owner>& map,
                       const std::string& id) -> int64_t {
      if (id.empty()) return 0;
      auto it = map.find(id);
      return it != map.end() && it->second.expires_ms > now ? it->second.not_before_ms : 0;
    };
    state.user_not_before_ms = owner(users_, q.user_subject);
    state.client_not_before_ms = owner(clients_, q.client_id);
    return state;
  }

 private:
  struct Owner {
    int64_t not_before_ms = 0;
    int64_t expires_ms = 0;
  };

  void ApplyLocked(const RevocationEvent& e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    switch (e.kind) {
      case Kind::kJti:
      case Kind::kGrant: {
        int64_t& expires = (e.kind == Kind::kJti ? jtis_ : grants_)[e.id];
        expires = std::max(expires, e.expires_ms);
        break;
      }
      case Kind::kUser:
      case Kind::kClient: {
        Owner& o = (e.kind == Kind::kUser ? users_ : clients_)[e.id];
        o.not_before_ms = std::max(o.not_before_ms, e.not_before_ms);
        o.expires_ms = std::max(o.expires_ms, e.expires_ms);
        break;
      }
    }
  }

  void Prune() {
    const int64_t now = absl::ToUnixMillis(absl::Now());
    absl::MutexLock lock(&mu_);
    absl::erase_if(jtis_, [now](const auto& kv) { return kv.second <= now; });
    absl::erase_if(grants_, [now](const auto& kv) { return kv.second <= now; });
    absl::erase_if(users_, [now](const auto& kv) { return kv.second.expires_ms <= now; });
    absl::erase_if(clients_, [now](const auto& kv) { return kv.second.expires_ms <= now; });
  }

  // A monotonic clock: a wall-clock step must not make a silent Redis look
  // recent.
  static int64_t SteadyNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  void Heard() {
    last_heard_ns_.store(SteadyNs());
    if (synced_.load()) Notify(nullptr);  // heartbeat
  }

  void Notify(const RevocationEvent* e) {
    absl::MutexLock lock(&listeners_mu_);
    for (auto& [id, listener] : listeners_) listener(e);
  }

  // Reads the whole feed index (entries that have not ended) into the view.
  absl::Status Resync(Connection& conn) {
    for (Kind kind : {Kind::kJti, Kind::kGrant, Kind::kUser}) {
      const absl::string_view suffix = redis_internal::FeedIndexSuffix(kind);
      const std::string key = absl::StrCat(prefix_, suffix);
      const std::string min = absl::StrCat("(", absl::ToUnixMillis(absl::Now()));
      const std::string count = absl::StrCat(kResyncBatch);
      // Highest scores first: writers trim only the lowest (ended) entries,
      // so pages already read never shift under the offset; an entry added
      // meanwhile only repeats one (harmless).
      for (int offset = 0;; offset += kResyncBatch) {
        const std::string from = absl::StrCat(offset);
        const absl::string_view argv[] = {"ZREVRANGEBYSCORE", key, "+inf", min, "WITHSCORES",
                                          "LIMIT", from, count};
        ASSIGN_OR_RETURN(ReplyPtr reply, conn.Command(argv));
        if (reply->type == REDIS_REPLY_ERROR) {
          return redis_internal::ErrorReplyToStatus(Str(reply.get()), &conn);
        }
        if (reply->type != REDIS_REPLY_ARRAY) {
          return absl::InternalError("revocation view: unexpected index reply");
        }
        absl::MutexLock lock(&mu_);
        for (size_t i = 0; i + 1 < reply->elements; i += 2) {
          int64_t expires = 0;
          if (!absl::SimpleAtoi(Str(reply->element[i + 1]), &expires)) continue;
          if (auto e = redis_internal::ParseFeedIndexMember(suffix, Str(reply->element[i]),
                                                            expires)) {
            ApplyLocked(*e);
          }
        }
        if (reply->elements < static_cast<size_t>(2 * kResyncBatch)) break;
      }
    }
    return absl::OkStatus();
  }

  // Handles one reply on the subscribed connection. An error reply (an ACL
  // refusing the channel, a server going away) ends the session: PONGs alone
  // must not keep a view that receives nothing looking fresh.
  absl::Status OnReply(const redisReply* r) {
    if (r->type == REDIS_REPLY_ERROR) {
      return absl::UnavailableError(absl::StrCat("revocation view: ", Str(r)));
    }
    Heard();
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 3) return absl::OkStatus();  // pong
    if (Str(r->element[0]) != "message") return absl::OkStatus();
    if (auto e = redis_internal::ParseFeedMessage(Str(r->element[2]))) {
      messages_.fetch_add(1, std::memory_order_relaxed);
      Apply(*e);
    }
    return absl::OkStatus();
  }

  // One subscription's life: subscribe, resynchronise, then listen and ping
  // until an error. Returns the error.
  absl::Status Session() {
    ASSIGN_OR_RETURN(redis_internal::PrimaryAddress address, locator_->Current(absl::InfinitePast()));
    ASSIGN_OR_RETURN(std::unique_ptr<Connection> sub,
                     Connection::Open(config_, address.host, address.port));
    const std::string channel = absl::StrCat(prefix_, "revocations");
    const absl::string_view subscribe[] = {"SUBSCRIBE", channel};
    RETURN_IF_ERROR(sub->SendOnly(subscribe));
    // Subscribed before the index is read: whatever is indexed later is
    // also published to us.
    ASSIGN_OR_RETURN(ReplyPtr confirmed, sub->ReadReply());
    if (confirmed->type != REDIS_REPLY_ARRAY || confirmed->elements < 3 ||
        Str(confirmed->element[0]) != "subscribe") {
      return absl::UnavailableError(absl::StrCat("revocation view: SUBSCRIBE refused: ",
                                                 Str(confirmed.get())));
    }
    {
      // Messages that arrive while the index is read are applied after it;
      // the order does not matter (see the header).
      ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader,
                       Connection::Open(config_, address.host, address.port));
      RETURN_IF_ERROR(Resync(*reader));
      resyncs_.fetch_add(1, std::memory_order_relaxed);
    }
    synced_.store(true);
    Heard();
    absl::Time last_ping = absl::Now();
    absl::Time last_prune = absl::Now();
    while (!stopping_.load()) {
      for (;;) {
        ASSIGN_OR_RETURN(ReplyPtr buffered, sub->TakeBufferedReply());
        if (!buffered) break;
        RETURN_IF_ERROR(OnReply(buffered.get()));
      }
      pollfd p{sub->fd(), POLLIN, 0};
      const int ready = poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(kPollInterval)));
      if (ready > 0) {
        ASSIGN_OR_RETURN(ReplyPtr reply, sub->ReadReply());
        RETURN_IF_ERROR(OnReply(reply.get()));
      }
      const absl::Time now = absl::Now();
      if (now - last_ping >= kPingInterval) {
        // A server that stopped answering (a dead link, a paused VM) is
        // left after half the staleness bound, before Check fails closed;
        // so is a primary that Sentinel replaced (its subscribers would
        // hear nothing the new primary publishes).
        if (SteadyNs() - last_heard_ns_.load() > absl::ToInt64Nanoseconds(max_staleness_ / 2)) {
          return absl::UnavailableError("revocation view: Redis stopped answering");
        }
        absl::StatusOr<redis_internal::PrimaryAddress> current = locator_->Current(absl::InfinitePast());
        if (current.ok() && current->generation != address.generation) {
          return absl::UnavailableError("revocation view: the primary changed");
        }
        const absl::string_view ping[] = {"PING"};
        RETURN_IF_ERROR(sub->SendOnly(ping));
        last_ping = now;
      }
      if (now - last_prune >= kPruneInterval) {
        Prune();
        last_prune = now;
      }
    }
    return absl::OkStatus();
  }

  void Run() {
    while (!stopping_.load()) {
      absl::Status ended = Session();
      synced_.store(false);
      if (stopping_.load()) break;
      if (!ended.ok()) {
        absl::StatusOr<redis_internal::PrimaryAddress> address = locator_->Current(absl::InfinitePast());
        if (address.ok()) locator_->ReportFailure(address->generation);
      }
      absl::SleepFor(kRetryInterval);
    }
  }

  const std::string prefix_;
  redis_internal::ConnectionConfig config_;
  std::unique_ptr<redis_internal::PrimaryLocator> locator_;
  const absl::Duration max_staleness_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> synced_{false};
  std::atomic<int64_t> last_heard_ns_{0};
  const int64_t started_ns_ = SteadyNs();
  std::atomic<uint64_t> resyncs_{0};
  std::atomic<uint64_t> messages_{0};
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, int64_t> jtis_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int64_t> grants_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Owner> users_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Owner> clients_ ABSL_GUARDED_BY(mu_);
  absl::Mutex listeners_mu_;
  uint64_t next_listener_ ABSL_GUARDED_BY(listeners_mu_) = 0;
  absl::flat_hash_map<uint64_t, Listener> listeners_ ABSL_GUARDED_BY(listeners_mu_);
  std::thread thread_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<RevocationView>> NewRedisRevocationView(
    const RedisOptions& options, absl::Duration max_staleness) {
  RETURN_IF_ERROR(ValidateRedisOptions(options));
  if (max_staleness < absl::Milliseconds(500)) {
    return absl::InvalidArgumentError("revocation view: max staleness must be >= 500ms");
  }
  return std::make_unique<RedisRevocationView>(options, max_staleness);
}

}  // namespace oauthd::storage
