#ifndef OAUTHD_TESTS_INTEGRATION_OAUTHD_PROCESS_H_
#define OAUTHD_TESTS_INTEGRATION_OAUTHD_PROCESS_H_

// A real oauthd process on a free loopback port, backed by a real
// redis-server, with a freshly generated signing key and admin token, plus
// gRPC stubs and helpers to register clients and users through the admin API.

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "oauth/admin/v1/admin.grpc.pb.h"
#include "oauth/v1/error.pb.h"
#include "oauth/v1/token.grpc.pb.h"
#include "server/jose/algorithm.h"
#include "tests/support/child_process.h"
#include "tests/support/redis_server.h"

namespace oauthd::testing {

struct OauthdOptions {
  jose::Algorithm alg = jose::Algorithm::kEs256;
  std::string issuer = "https://issuer.test";
  // Extra command-line flags, e.g. "--code_ttl=1s".
  std::vector<std::string> flags;
};

class OauthdProcess {
 public:
  // Starts redis-server and oauthd; waits until oauthd answers.
  static absl::StatusOr<std::unique_ptr<OauthdProcess>> Start(OauthdOptions options = {});
  // A second replica beside `first`: its Redis, signing key and admin token,
  // its own port and flags. `first` must outlive it.
  static absl::StatusOr<std::unique_ptr<OauthdProcess>> StartReplica(
      OauthdProcess& first, OauthdOptions options = {});
  ~OauthdProcess();

  // Stops oauthd with SIGTERM (checking it exits 0) and starts it again with
  // the same key, port and Redis.
  absl::Status Restart();
  // SIGTERM and wait; returns how it exited.
  absl::StatusOr<test_support::ExitInfo> Terminate();

  test_support::RedisServer& redis() { return shared_redis_ ? *shared_redis_ : *redis_; }
  const std::string& address() const { return address_; }
  // The admin API's own listener (--admin_listen).
  const std::string& admin_address() const { return admin_address_; }
  const std::string& key_path() const { return key_path_; }
  std::string output() const { return process_ ? process_->ReadOutput() : ""; }

  oauth::v1::TokenService::Stub& tokens() { return *tokens_; }
  oauth::admin::v1::AdminService::Stub& admin() { return *admin_; }
  std::shared_ptr<grpc::Channel> channel() { return channel_; }

  // A client context with a 10 s deadline (and the admin token when asked).
  // wait_for_ready rides over a reconnect after Restart(); outage tests turn
  // it off to see UNAVAILABLE.
  std::unique_ptr<grpc::ClientContext> Context(bool admin = false,
                                               bool wait_for_ready = true) const;

  // Registers a client through the admin API; returns its credentials.
  absl::StatusOr<oauth::v1::ClientAuthentication> CreateClient(
      const oauth::admin::v1::Client& client);
  absl::Status CreateUser(const std::string& username, const std::string& password);

 private:
  OauthdProcess() = default;
  absl::Status Launch();
  absl::Status Connect();

  OauthdOptions options_;
  std::unique_ptr<test_support::RedisServer> redis_;
  test_support::RedisServer* shared_redis_ = nullptr;  // a replica's
  std::unique_ptr<test_support::ChildProcess> process_;
  std::string dir_;
  std::string key_path_;
  std::string admin_token_;
  std::string admin_token_path_;
  int port_ = 0;
  std::string address_;
  int admin_port_ = 0;
  std::string admin_address_;
  std::shared_ptr<grpc::Channel> admin_channel_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<oauth::v1::TokenService::Stub> tokens_;
  std::unique_ptr<oauth::admin::v1::AdminService::Stub> admin_;
};

// The typed OAuth error in a failed call's status details ("" if none).
oauth::v1::OAuthError OAuthErrorOf(const grpc::Status& status);

}  // namespace oauthd::testing

#endif  // OAUTHD_TESTS_INTEGRATION_OAUTHD_PROCESS_H_
