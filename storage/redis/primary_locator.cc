#include "storage/redis/primary_locator.h"

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "storage/redis/connection.h"

namespace oauthd::storage::redis_internal {
namespace {

class FixedLocator final : public PrimaryLocator {
 public:
  FixedLocator(std::string host, int port) {
    address_.host = std::move(host);
    address_.port = port;
  }
  absl::StatusOr<PrimaryAddress> Current(absl::Time) override { return address_; }
  bool IsCurrent(uint64_t) override { return true; }
  void ReportFailure(uint64_t) override {}
  void ReportHealthy(uint64_t) override {}

 private:
  PrimaryAddress address_;
};

absl::string_view StringElement(const redisReply* r, size_t i) {
  if (r->type != REDIS_REPLY_ARRAY || i >= r->elements) return {};
  const redisReply* e = r->element[i];
  if (e->type != REDIS_REPLY_STRING && e->type != REDIS_REPLY_STATUS) return {};
  return absl::string_view(e->str, e->len);
}

class SentinelLocator final : public PrimaryLocator {
 public:
  explicit SentinelLocator(SentinelLocatorOptions options)
      : options_(std::move(options)) {
    sentinel_config_.connect_timeout = options_.timeout;
    sentinel_config_.command_timeout = options_.timeout;
    sentinel_config_.role_check = RoleCheck::kNone;
    if (options_.watch && pipe2(stop_pipe_, O_CLOEXEC) == 0) {
      watcher_ = std::thread([this] { WatchLoop(); });
    }
  }

  ~SentinelLocator() override {
    if (watcher_.joinable()) {
      char c = 1;
      while (write(stop_pipe_[1], &c, 1) < 0 && errno == EINTR) {
      }
      watcher_.join();
    }
    for (int fd : stop_pipe_) {
      if (fd >= 0) close(fd);
    }
  }

  absl::StatusOr<PrimaryAddress> Current(absl::Time wait_until) override {
    absl::MutexLock lock(&mu_);
    for (;;) {
      const absl::Time now = absl::Now();
      if (fenced()) {
        // Wait for +switch-master (or the fence's end), bounded by the
        // caller and by how long this failover may hold anyone up.
        const absl::Time limit = std::min(
            {wait_until, fence_started_ + options_.failover_wait, fenced_until_});
        if (now < limit) {
          auto lifted = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !fenced(); };
          mu_.AwaitWithDeadline(absl::Condition(&lifted), limit);
          continue;
        }
        return absl::UnavailableError(absl::StrCat(
            "redis: failover of '", options_.master_name, "' under way for ",
            absl::FormatDuration(absl::Trunc(now - fence_started_, absl::Milliseconds(1))),
            " (announced by a Sentinel); no new primary yet"));
      }
      const bool want_answer =
          (!known_ || stale_) &&
          (!asked_ || now - last_asked_ >= options_.retry_interval);
      if (resolving_ && !known_) {
        // Nothing to fall back on: wait for the round in flight (bounded by
        // its own timeouts).
        auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return !resolving_;
        };
        mu_.Await(absl::Condition(&done));
        continue;
      }
      if (!want_answer || resolving_) {
        if (known_) return address_;
        return last_error_;
      }
      resolving_ = true;
      asked_ = true;
      last_asked_ = now;
      const bool skip_last_answer = known_ && stale_;
      absl::StatusOr<HostPort> found;
      mu_.Unlock();
      found = AskSentinels(skip_last_answer);
      mu_.Lock();
      resolving_ = false;
      if (found.ok()) {
        Adopt(*found);
        return address_;
      }
      last_error_ = found.status();
      // Keep the last known primary: Sentinels are not in the data path.
      if (known_) return address_;
      return last_error_;
    }
  }

  void ReportFailure(uint64_t generation) override {
    absl::MutexLock lock(&mu_);
    if (known_ && generation == address_.generation) stale_ = true;
  }

  void ReportHealthy(uint64_t generation) override {
    absl::MutexLock lock(&mu_);
    if (known_ && generation == address_.generation) stale_ = false;
  }

  bool IsCurrent(uint64_t generation) override {
    absl::MutexLock lock(&mu_);
    return known_ && generation == address_.generation && !fenced();
  }

 private:
  bool fenced() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return absl::Now() < fenced_until_;
  }

  void Adopt(const HostPort& found) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!known_ || found.host != address_.host || found.port != address_.port) {
      address_.host = found.host;
      address_.port = found.port;
      ++address_.generation;
    }
    known_ = true;
    stale_ = false;
  }

  // `SENTINEL get-master-addr-by-name` to one Sentinel.
  absl::StatusOr<HostPort> AskSentinel(const HostPort& sentinel) {
    const std::string where = absl::StrCat("sentinel ", sentinel.host, ":", sentinel.port);
    absl::StatusOr<std::unique_ptr<Connection>> conn =
        Connection::Open(sentinel_config_, sentinel.host, sentinel.port);
    if (!conn.ok()) return conn.status();
    absl::string_view args[] = {"SENTINEL", "get-master-addr-by-name",
                                options_.master_name};
    absl::StatusOr<ReplyPtr> reply = (*conn)->Command(args);
    if (!reply.ok()) return reply.status();
    const redisReply* r = reply->get();
    HostPort found;
    found.host = std::string(StringElement(r, 0));
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 && !found.host.empty() &&
        absl::SimpleAtoi(StringElement(r, 1), &found.port) && found.port > 0 &&
        found.port <= 65535) {
      return found;
    }
    if (r->type == REDIS_REPLY_NIL) {
      return absl::UnavailableError(absl::StrCat(where, " does not know master '",
                                                 options_.master_name, "'"));
    }
    if (r->type == REDIS_REPLY_ERROR) {
      return absl::UnavailableError(
          absl::StrCat(where, ": ", absl::string_view(r->str, r->len)));
    }
    return absl::UnavailableError(absl::StrCat(where, ": unexpected reply type ", r->type));
  }

  // The watcher: one subscribed connection per Sentinel (a failover's
  // progress is announced by its leader only), each reconnected a second
  // after it fails or falls silent (PING every second, dropped after 3 s
  // without a word).
  void WatchLoop() {
    struct Watch {
      std::unique_ptr<Connection> conn;
      absl::Time last_heard;
      absl::Time last_ping;
      absl::Time retry_at = absl::InfinitePast();
    };
    std::vector<Watch> watches(options_.sentinels.size());
    const absl::string_view subscribe[] = {"SUBSCRIBE", "+switch-master",
                                           "+failover-state-send-slaveof-noone",
                                           "+odown", "-odown"};
    const absl::string_view ping[] = {"PING"};
    for (;;) {
      absl::Time now = absl::Now();
      for (size_t i = 0; i < watches.size(); ++i) {
        Watch& w = watches[i];
        if (w.conn != nullptr || now < w.retry_at) continue;
        const HostPort& sentinel = options_.sentinels[i];
        absl::StatusOr<std::unique_ptr<Connection>> conn =
            Connection::Open(sentinel_config_, sentinel.host, sentinel.port);
        now = absl::Now();
        if (!conn.ok() || !(*conn)->SendOnly(subscribe).ok()) {
          w.retry_at = now + absl::Seconds(1);
          continue;
        }
        w.conn = *std::move(conn);
        w.last_heard = w.last_ping = now;
        // Catch up on a switch announced while nobody listened.
        if (absl::StatusOr<HostPort> primary = AskSentinel(sentinel); primary.ok()) {
          absl::MutexLock lock(&mu_);
          if (known_ && !fenced()) Adopt(*primary);
        }
      }
      std::vector<pollfd> fds(1 + watches.size());
      fds[0].fd = stop_pipe_[0];
      fds[0].events = POLLIN;
      for (size_t i = 0; i < watches.size(); ++i) {
        fds[i + 1].fd = watches[i].conn != nullptr ? watches[i].conn->fd() : -1;
        fds[i + 1].events = POLLIN;
      }
      const int ready = poll(fds.data(), fds.size(), 250);
      if (ready < 0 && errno != EINTR) return;
      if (fds[0].revents != 0) return;
      now = absl::Now();
      for (size_t i = 0; i < watches.size(); ++i) {
        Watch& w = watches[i];
        if (w.conn == nullptr) continue;
        bool failed = false;
        if (fds[i + 1].revents != 0) {
          absl::StatusOr<ReplyPtr> message = w.conn->ReadReply();
          while (message.ok() && *message != nullptr) {
            w.last_heard = now;
            HandleMessage(message->get());
            message = w.conn->TakeBufferedReply();  // several may come in one read
          }
          failed = !message.ok();
        } else if (now - w.last_heard > absl::Seconds(3)) {
          failed = true;  // silent: dead host or partition
        } else if (now - w.last_ping >= absl::Seconds(1)) {
          w.last_ping = now;
          failed = !w.conn->SendOnly(ping).ok();
        }
        if (failed) {
          w.conn.reset();
          w.retry_at = now + absl::Seconds(1);
        }
      }
    }
  }

  // Messages are ["message", <channel>, <payload>]; anything else (subscribe
  // confirmations, pongs) is ignored.
  // - "+odown": "master <name> <ip> <port> #quorum <n>/<q>". The Sentinels
  //   agree the primary is down and are about to fail over: fence (a
  //   primary cut off from the Sentinels may still accept writes that the
  //   failover will drop). "-odown" (it came back first) lifts that fence.
  //   Both are ignored when about another address than the one in use.
  // - "+failover-state-send-slaveof-noone": "slave <ip>:<port> <ip> <port> @
  //   <name> <ip> <port>", published by the leader just before it promotes a
  //   replica. From now on the old primary's writes may be dropped: fence
  //   (if <ip> <port> is the primary in use).
  // - "+switch-master": "<name> <old ip> <old port> <new ip> <new port>".
  void HandleMessage(const redisReply* m) {
    if (StringElement(m, 0) != "message") return;
    const absl::string_view channel = StringElement(m, 1);
    std::vector<absl::string_view> parts = absl::StrSplit(StringElement(m, 2), ' ');
    if (channel == "+switch-master") {
      HostPort next;
      if (parts.size() == 5 && parts[0] == options_.master_name &&
          absl::SimpleAtoi(parts[4], &next.port) && next.port > 0 && next.port <= 65535) {
        next.host = std::string(parts[3]);
        absl::MutexLock lock(&mu_);
        fenced_until_ = absl::InfinitePast();
        Adopt(next);
      }
    } else if (channel == "+failover-state-send-slaveof-noone") {
      auto at = std::find(parts.begin(), parts.end(), "@");
      if (at != parts.end() && parts.end() - at >= 4 && *(at + 1) == options_.master_name) {
        absl::MutexLock lock(&mu_);
        if (IsOurPrimary(*(at + 2), *(at + 3))) Fence(/*by_odown=*/false);
      }
    } else if (channel == "+odown" || channel == "-odown") {
      if (parts.size() < 4 || parts[0] != "master" || parts[1] != options_.master_name) return;
      absl::MutexLock lock(&mu_);
      if (!IsOurPrimary(parts[2], parts[3])) return;
      if (channel == "+odown") {
        Fence(/*by_odown=*/true);
      } else if (fenced() && fence_by_odown_) {
        fenced_until_ = absl::InfinitePast();  // back before any promotion
      }
    }
  }

  // False when the message is about another address than the primary in
  // use: a slow Sentinel's news about a primary already replaced must not
  // fence the new one. True when no primary is known yet.
  bool IsOurPrimary(absl::string_view host, absl::string_view port) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !known_ || (host == address_.host && port == absl::StrCat(address_.port));
  }

  // Starts (or, for a promotion, renews) the fence. A fence already up keeps
  // its start: callers wait at most failover_wait from the first sign.
  void Fence(bool by_odown) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const absl::Time now = absl::Now();
    if (!fenced()) {
      fence_started_ = now;
    } else if (by_odown) {
      return;  // a later Sentinel's +odown adds nothing
    }
    fence_by_odown_ = by_odown;
    fenced_until_ = now + options_.fence_limit;
    stale_ = true;  // if no switch is announced, ask again after the fence
  }

  // Asks each Sentinel in turn. Runs without the lock, in one thread at a time
  // (the one that set resolving_), which alone touches preferred_.
  absl::StatusOr<HostPort> AskSentinels(bool skip_last_answer) {
    const size_t n = options_.sentinels.size();
    const size_t start = skip_last_answer ? (preferred_ + 1) % n : preferred_;
    std::vector<std::string> errors;
    for (size_t i = 0; i < n; ++i) {
      const size_t index = (start + i) % n;
      absl::StatusOr<HostPort> found = AskSentinel(options_.sentinels[index]);
      if (found.ok()) {
        preferred_ = index;
        return found;
      }
      errors.push_back(std::string(found.status().message()));
    }
    return absl::UnavailableError(
        absl::StrCat("redis: no Sentinel named the primary of '", options_.master_name,
                     "': ", absl::StrJoin(errors, "; ")));
  }

  const SentinelLocatorOptions options_;
  ConnectionConfig sentinel_config_;
  size_t preferred_ = 0;  // see AskSentinels

  absl::Mutex mu_;
  PrimaryAddress address_ ABSL_GUARDED_BY(mu_);
  bool known_ ABSL_GUARDED_BY(mu_) = false;
  bool stale_ ABSL_GUARDED_BY(mu_) = false;
  bool resolving_ ABSL_GUARDED_BY(mu_) = false;
  bool asked_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time last_asked_ ABSL_GUARDED_BY(mu_);
  absl::Status last_error_ ABSL_GUARDED_BY(mu_) =
      absl::UnavailableError("redis: the Sentinels have not been asked yet");

  // While a failover is under way (see HandleMessage), no call reaches the
  // old primary: callers wait (Current) or fail.
  absl::Time fenced_until_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time fence_started_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool fence_by_odown_ ABSL_GUARDED_BY(mu_) = false;

  int stop_pipe_[2] = {-1, -1};
  std::thread watcher_;  // last: starts after everything it uses
};

}  // namespace

std::unique_ptr<PrimaryLocator> NewFixedLocator(std::string host, int port) {
  return std::make_unique<FixedLocator>(std::move(host), port);
}

std::unique_ptr<PrimaryLocator> NewSentinelLocator(SentinelLocatorOptions options) {
  return std::make_unique<SentinelLocator>(std::move(options));
}

}  // namespace oauthd::storage::redis_internal
