#ifndef OAUTHD_STORAGE_REDIS_CONNECTION_H_
#define OAUTHD_STORAGE_REDIS_CONNECTION_H_

// Internal to storage/redis: one synchronous hiredis connection. Not
// thread-safe; the pool (connection_pool.h) hands each one to one caller at a
// time.

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "storage/redis/redis_metrics.h"

struct redisContext;
struct redisReply;

namespace oauthd::storage::redis_internal {

struct ReplyDeleter {
  void operator()(redisReply* reply) const;
};
// A reply owned by the caller; valid independently of its connection.
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

// Whether the handshake asks ROLE and insists on a primary.
enum class RoleCheck {
  kNone,         // no ROLE (Sentinels, tests)
  kIfSupported,  // a "slave"/"sentinel" answer fails the handshake; an error
                 // reply (ROLE renamed or denied by an ACL) is accepted
  kRequired,     // anything but "master" fails the handshake
};

// Everything needed to open and prepare a connection.
struct ConnectionConfig {
  std::string host;  // starting with '/': Unix socket path
  int port = 6379;
  RoleCheck role_check = RoleCheck::kNone;
  std::string user;
  std::string password;
  int db = 0;
  absl::Duration connect_timeout;
  absl::Duration command_timeout;
  // Lua bodies sent with SCRIPT LOAD on every new connection, so EVALSHA
  // finds them after a Redis restart. `script_shas` are their expected SHA-1s.
  std::vector<std::string> scripts;
  std::vector<std::string> script_shas;
  // Counts round trips and errors when set; must outlive the connections.
  RedisMetrics* metrics = nullptr;
};

class Connection {
 public:
  // Connects and runs the handshake (AUTH, SELECT, ROLE, SCRIPT LOAD) in one
  // round trip. UNAVAILABLE with the endpoint and reason on any failure,
  // including a ROLE check that found a replica.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(
      const ConnectionConfig& config);
  // The same, at `host`:`port` instead of config.host and config.port.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(
      const ConnectionConfig& config, const std::string& host, int port);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Sends one command and reads its reply. Error replies come back as
  // replies (REDIS_REPLY_ERROR). I/O errors, timeouts and protocol errors
  // return UNAVAILABLE and mark the connection broken.
  absl::StatusOr<ReplyPtr> Command(absl::Span<const absl::string_view> args);

  // Sends all `commands` in one write and reads their replies, in order (one
  // round trip). Errors as for Command; on an I/O error no reply is returned.
  using Replies = absl::InlinedVector<ReplyPtr, 2>;
  absl::StatusOr<Replies> Pipeline(
      std::initializer_list<absl::Span<const absl::string_view>> commands);
  absl::StatusOr<Replies> Pipeline(
      absl::Span<const absl::Span<const absl::string_view>> commands);

  // For a subscribed connection (the Sentinel watcher): sends a command
  // without reading its reply, and reads one reply or pushed message. Call
  // ReadReply when fd() is readable: it blocks up to the command timeout for
  // the rest of a message. Errors as for Command.
  absl::Status SendOnly(absl::Span<const absl::string_view> args);
  absl::StatusOr<ReplyPtr> ReadReply();
  // A reply already read from the socket and buffered, or nullptr (no I/O;
  // poll() cannot see these).
  absl::StatusOr<ReplyPtr> TakeBufferedReply();
  int fd() const;

  // A broken connection must not be reused; the pool discards it.
  bool broken() const { return broken_; }
  void MarkBroken() { broken_ = true; }

  // Something this connection saw (READONLY, a WAIT that was not
  // acknowledged, MASTERDOWN) suggests the primary may have changed: the pool
  // tells the locator when the connection comes back, without closing it.
  bool suspect() const { return suspect_; }
  void MarkSuspect() { suspect_ = true; }
  void ClearSuspect() { suspect_ = false; }

  // Which primary address this connection was opened for (see
  // PrimaryLocator in primary_locator.h); set by the pool.
  uint64_t generation() const { return generation_; }
  void set_generation(uint64_t g) { generation_ = g; }

  // False when the idle socket is readable or hung up: the server closed it
  // (restart, timeout, kill) or sent something unsolicited. Costs one poll(2)
  // with zero timeout; catches dead idle connections before they fail a call.
  bool IdleSocketHealthy() const;

  const std::string& endpoint() const { return endpoint_; }

 private:
  Connection(redisContext* ctx, std::string endpoint,
             absl::Duration command_timeout);

  absl::Status IoError(absl::string_view during);
  // Metrics: a round trip that began at `start` ended with `reply`.
  void Observe(absl::Time start, const redisReply* reply);
  void CountErrorReply(const redisReply* reply);

  redisContext* ctx_;
  std::string endpoint_;
  absl::Duration command_timeout_;
  RedisMetrics* metrics_ = nullptr;
  bool broken_ = false;
  bool suspect_ = false;
  uint64_t generation_ = 0;
};

// Maps a Redis error reply to a status. Errors that mean "not now" (LOADING,
// BUSY, MASTERDOWN, NOREPLICAS, UNBLOCKED, TRYAGAIN, CLUSTERDOWN, READONLY,
// NOAUTH) are UNAVAILABLE; the others INTERNAL. READONLY and NOAUTH also mark
// `conn` broken so the next connection goes to the new primary or
// authenticates again; MASTERDOWN, NOREPLICAS and UNBLOCKED (a WAIT cut short
// by a demotion) mark it suspect (a failover may be under way: the pool asks
// the Sentinels again).
absl::Status ErrorReplyToStatus(absl::string_view error, Connection* conn);

// Reply accessors: "" / 0 for nil; INTERNAL for the wrong type.
absl::StatusOr<std::string> ReplyString(const redisReply* reply);
absl::StatusOr<int64_t> ReplyInteger(const redisReply* reply);

}  // namespace oauthd::storage::redis_internal

#endif  // OAUTHD_STORAGE_REDIS_CONNECTION_H_
