#ifndef OAUTHD_STORAGE_REDIS_CONNECTION_H_
#define OAUTHD_STORAGE_REDIS_CONNECTION_H_

// Internal to storage/redis: one synchronous hiredis connection. Not
// thread-safe; the pool (connection_pool.h) hands each one to one caller at a
// time.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

struct redisContext;
struct redisReply;

namespace oauthd::storage::redis_internal {

struct ReplyDeleter {
  void operator()(redisReply* reply) const;
};
// A reply owned by the caller; valid independently of its connection.
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

// Everything needed to open and prepare a connection.
struct ConnectionConfig {
  std::string host;  // starting with '/': Unix socket path
  int port = 6379;
  std::string user;
  std::string password;
  int db = 0;
  absl::Duration connect_timeout;
  absl::Duration command_timeout;
  // Lua bodies sent with SCRIPT LOAD on every new connection, so EVALSHA
  // finds them after a Redis restart. `script_shas` are their expected SHA-1s.
  std::vector<std::string> scripts;
  std::vector<std::string> script_shas;
};

class Connection {
 public:
  // Connects and runs the handshake (AUTH, SELECT, SCRIPT LOAD) in one round
  // trip. UNAVAILABLE with the endpoint and reason on any failure.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(
      const ConnectionConfig& config);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Sends one command and reads its reply. Error replies come back as
  // replies (REDIS_REPLY_ERROR). I/O errors, timeouts and protocol errors
  // return UNAVAILABLE and mark the connection broken.
  absl::StatusOr<ReplyPtr> Command(absl::Span<const absl::string_view> args);

  // A broken connection must not be reused; the pool discards it.
  bool broken() const { return broken_; }
  void MarkBroken() { broken_ = true; }

  // False when the idle socket is readable or hung up: the server closed it
  // (restart, timeout, kill) or sent something unsolicited. Costs one poll(2)
  // with zero timeout; catches dead idle connections before they fail a call.
  bool IdleSocketHealthy() const;

  const std::string& endpoint() const { return endpoint_; }

 private:
  Connection(redisContext* ctx, std::string endpoint,
             absl::Duration command_timeout);

  absl::Status IoError(absl::string_view during);

  redisContext* ctx_;
  std::string endpoint_;
  absl::Duration command_timeout_;
  bool broken_ = false;
};

// Maps a Redis error reply to a status. Errors that mean "not now" (LOADING,
// BUSY, MASTERDOWN, TRYAGAIN, CLUSTERDOWN, READONLY, NOAUTH) are UNAVAILABLE;
// the others INTERNAL. READONLY and NOAUTH also mark `conn` broken so the
// next connection goes to the new primary or authenticates again.
absl::Status ErrorReplyToStatus(absl::string_view error, Connection* conn);

// Reply accessors: "" / 0 for nil; INTERNAL for the wrong type.
absl::StatusOr<std::string> ReplyString(const redisReply* reply);
absl::StatusOr<int64_t> ReplyInteger(const redisReply* reply);

}  // namespace oauthd::storage::redis_internal

#endif  // OAUTHD_STORAGE_REDIS_CONNECTION_H_
