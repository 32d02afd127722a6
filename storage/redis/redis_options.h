#ifndef OAUTHD_STORAGE_REDIS_REDIS_OPTIONS_H_
#define OAUTHD_STORAGE_REDIS_REDIS_OPTIONS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace oauthd::storage {

// How to reach Redis and how to use the connection pool. Every timeout is
// finite; ValidateRedisOptions says which values are accepted.
struct RedisOptions {
  // TCP host name or address. A value starting with '/' is a Unix socket
  // path (then `port` is ignored).
  std::string host = "127.0.0.1";
  int port = 6379;
  // ACL user (Redis >= 6) and password: AUTH on every new connection when
  // `password` is set ("AUTH user password" when `user` is set too).
  std::string user;
  std::string password;
  // Logical database, selected on every new connection when not 0.
  int db = 0;

  // At most this many connections are open at once; callers beyond that
  // wait up to `pool_wait_timeout` for one to come back.
  int pool_size = 16;
  // TCP connect, and the AUTH/SELECT/SCRIPT LOAD handshake after it.
  absl::Duration connect_timeout = absl::Milliseconds(200);
  // Per command, covering the write and the reply. A connection whose
  // command timed out is closed (its reply would arrive out of order).
  absl::Duration command_timeout = absl::Milliseconds(500);
  absl::Duration pool_wait_timeout = absl::Milliseconds(500);

  // Prepended to every key (see the schema in redis_store.h). Lets several
  // deployments or test cases share one Redis database.
  std::string key_prefix = "oauth:";
};

// INVALID_ARGUMENT naming the offending field, else OK.
absl::Status ValidateRedisOptions(const RedisOptions& options);

// Parses `redis://[[user]:password@]host[:port][/db]` into options with every
// other field at its default. User and password may be percent-encoded; the
// host may be a bracketed IPv6 literal (`redis://[::1]:6380`). The port
// defaults to 6379 and the db to 0.
//
// INVALID_ARGUMENT for another scheme (`rediss://` is not supported: hiredis
// 0.14 has no TLS), a bad port or db, or trailing garbage.
//
// Example:
//   ASSIGN_OR_RETURN(RedisOptions o, ParseRedisUrl("redis://:s3cret@redis:6379/2"));
absl::StatusOr<RedisOptions> ParseRedisUrl(absl::string_view url);

}  // namespace oauthd::storage

#endif  // OAUTHD_STORAGE_REDIS_REDIS_OPTIONS_H_
