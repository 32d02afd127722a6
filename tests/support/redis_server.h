#ifndef OAUTHD_TESTS_SUPPORT_REDIS_SERVER_H_
#define OAUTHD_TESTS_SUPPORT_REDIS_SERVER_H_

// Test helper: a real, throw-away redis-server on a free loopback port.
//
// The server binds 127.0.0.1 only, persists nothing (--save '' --appendonly
// no), logs to a file (log_path()) and is killed by the destructor. Stop() and
// Restart() keep the port, so clients can be tested for reconnection.
//
// If redis-server is missing, Start fails with a message saying so; tests
// must fail on that (never skip: a skipped storage suite proves nothing).
//
// Example (one server per test binary, started on first use):
//   int main(int argc, char** argv) {
//     ::testing::InitGoogleTest(&argc, argv);
//     ::testing::AddGlobalTestEnvironment(new RedisServerEnvironment());
//     return RUN_ALL_TESTS();
//   }
//   TEST(Foo, Bar) {
//     absl::StatusOr<RedisServer*> redis = RedisServerEnvironment::Server();
//     ASSERT_TRUE(redis.ok()) << redis.status();
//     ... (*redis)->port() ...
//   }
//
// Thread safety: Command() may be called from any thread; Start/Stop/Restart
// must not race with each other.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/support/child_process.h"

namespace oauthd::test_support {

struct RedisServerOptions {
  std::string binary = "redis-server";  // path or name in PATH
  std::string password;                 // sets requirepass when not empty
  std::vector<std::string> extra_args;  // e.g. {"--maxmemory", "16mb"}
  absl::Duration start_timeout = absl::Seconds(10);
};

class RedisServer {
 public:
  // Starts a server on a free port and waits until it answers PING. Retries
  // with another port if the chosen one was taken meanwhile. NOT_FOUND when
  // the binary is missing; UNAVAILABLE (with the server's log) when it does
  // not come up.
  static absl::StatusOr<std::unique_ptr<RedisServer>> Start(
      RedisServerOptions options = {});
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  const std::string& host() const { return host_; }  // "127.0.0.1"
  int port() const { return port_; }
  // redis://[:password@]127.0.0.1:<port>
  std::string url() const;
  std::string log_path() const;

  // SIGTERM and wait (SIGKILL after 5 s). The port stays this server's.
  absl::Status Stop();
  // Kill -9 (no shutdown sequence), for abrupt-failure tests.
  void Crash();
  // Starts again on the same port (stopping first if running) and waits for
  // PING. Data is gone: nothing is persisted.
  absl::Status Restart();
  bool running();

  // Sends one command on a fresh connection (AUTH first if a password is
  // set) and renders the reply as text: strings, status and integers as-is,
  // nil as "(nil)", arrays as their elements joined by '\n'. An error reply
  // is returned as INTERNAL with Redis's message.
  //
  // Example: redis->Command({"SCRIPT", "FLUSH"}); redis->Command({"PTTL", key});
  absl::StatusOr<std::string> Command(const std::vector<std::string>& args) const;
  absl::Status FlushAll() const { return Command({"FLUSHALL"}).status(); }

 private:
  explicit RedisServer(RedisServerOptions options) : options_(std::move(options)) {}
  absl::Status Launch();  // starts on port_, waits for PING
  absl::Status WaitReady();

  RedisServerOptions options_;
  std::string host_ = "127.0.0.1";
  int port_ = 0;
  std::string dir_;
  std::unique_ptr<ChildProcess> process_;
};

// A GoogleTest environment owning one RedisServer for the whole test binary.
// Constructed `lazy` (the default), the server starts the first time a test
// asks for it, so binaries whose selected tests do not need Redis never start
// one; otherwise SetUp() starts it and fails the run if it cannot. TearDown()
// stops it. Create at most one.
class RedisServerEnvironment : public ::testing::Environment {
 public:
  explicit RedisServerEnvironment(RedisServerOptions options = {}, bool lazy = true);
  ~RedisServerEnvironment() override;

  void SetUp() override;
  void TearDown() override;

  // The binary's server, starting it if needed. The start error (e.g.
  // redis-server not installed) is returned on every call, not retried.
  // FAILED_PRECONDITION if no environment was registered.
  static absl::StatusOr<RedisServer*> Server();

 private:
  absl::StatusOr<RedisServer*> GetOrStart();

  RedisServerOptions options_;
  bool lazy_;
  bool attempted_ = false;
  absl::Status start_error_;
  std::unique_ptr<RedisServer> server_;
};

}  // namespace oauthd::test_support

#endif  // OAUTHD_TESTS_SUPPORT_REDIS_SERVER_H_
