#include "tests/integration/oauthd_process.h"

#include <sys/stat.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/rpc/status.pb.h"
#include "server/core/random.h"
#include "server/jose/key_generation.h"

#ifndef OAUTHD_BINARY
#error "OAUTHD_BINARY must name the oauthd executable"
#endif

namespace oauthd::testing {
namespace {

absl::Status WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::trunc);
  if (!(out << contents) || !out.flush()) {
    return absl::InternalError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<OauthdProcess>> OauthdProcess::Start(OauthdOptions options) {
  std::unique_ptr<OauthdProcess> p(new OauthdProcess());
  p->options_ = std::move(options);
  auto redis = test_support::RedisServer::Start();
  if (!redis.ok()) return redis.status();
  p->redis_ = *std::move(redis);
  p->dir_ = absl::StrCat(test_support::TestTempDir(), "/oauthd-", RandomToken(6));
  if (mkdir(p->dir_.c_str(), 0700) != 0) {
    return absl::InternalError(absl::StrCat("cannot create ", p->dir_));
  }
  auto pem = jose::GeneratePrivateKeyPem(p->options_.alg);
  if (!pem.ok()) return pem.status();
  p->key_path_ = p->dir_ + "/signing-key.pem";
  if (auto s = WriteFile(p->key_path_, *pem); !s.ok()) return s;
  p->admin_token_ = RandomToken(32);  // oauthd wants 32 random bytes
  p->admin_token_path_ = p->dir_ + "/admin.token";
  if (auto s = WriteFile(p->admin_token_path_, p->admin_token_ + "\n"); !s.ok()) return s;
  if (auto s = p->Connect(); !s.ok()) return s;
  return p;
}

absl::StatusOr<std::unique_ptr<OauthdProcess>> OauthdProcess::StartReplica(
    OauthdProcess& first, OauthdOptions options) {
  std::unique_ptr<OauthdProcess> p(new OauthdProcess());
  p->options_ = std::move(options);
  p->options_.alg = first.options_.alg;
  p->options_.issuer = first.options_.issuer;
  p->shared_redis_ = &first.redis();
  p->dir_ = absl::StrCat(first.dir_, "-replica-", RandomToken(6));
  if (mkdir(p->dir_.c_str(), 0700) != 0) {
    return absl::InternalError(absl::StrCat("cannot create ", p->dir_));
  }
  p->key_path_ = first.key_path_;
  p->admin_token_ = first.admin_token_;
  p->admin_token_path_ = first.admin_token_path_;
  if (auto s = p->Connect(); !s.ok()) return s;
  return p;
}

absl::Status OauthdProcess::Connect() {
  auto port = test_support::PickUnusedTcpPort();
  if (!port.ok()) return port.status();
  port_ = *port;
  address_ = absl::StrCat("127.0.0.1:", port_);
  auto admin_port = test_support::PickUnusedTcpPort();
  if (!admin_port.ok()) return admin_port.status();
  admin_port_ = *admin_port;
  admin_address_ = absl::StrCat("127.0.0.1:", admin_port_);
  if (auto s = Launch(); !s.ok()) return s;
  channel_ = grpc::CreateChannel(address_, grpc::InsecureChannelCredentials());
  admin_channel_ = grpc::CreateChannel(admin_address_, grpc::InsecureChannelCredentials());
  tokens_ = oauth::v1::TokenService::NewStub(channel_);
  admin_ = oauth::admin::v1::AdminService::NewStub(admin_channel_);
  return absl::OkStatus();
}

OauthdProcess::~OauthdProcess() {
  if (process_) process_->Kill();
}

absl::Status OauthdProcess::Launch() {
  test_support::ChildProcessOptions o;
  o.argv = {OAUTHD_BINARY,
            absl::StrCat("--listen=", address_),
            absl::StrCat("--admin_listen=", admin_address_),
            "--store=redis",
            absl::StrCat("--redis_url=", redis().url()),
            absl::StrCat("--issuer=", options_.issuer),
            absl::StrCat("--signing_keys=", key_path_),
            absl::StrCat("--admin_token_file=", admin_token_path_),
            "--scrypt_log2_n=10",
            "--shutdown_grace=5s"};
  for (const std::string& f : options_.flags) o.argv.push_back(f);
  o.output_path = dir_ + "/oauthd.log";
  auto process = test_support::ChildProcess::Start(o);
  if (!process.ok()) return process.status();
  process_ = *std::move(process);
  absl::Status ready =
      test_support::WaitForTcpPort("127.0.0.1", port_, absl::Seconds(20), process_.get());
  if (ready.ok()) {
    ready = test_support::WaitForTcpPort("127.0.0.1", admin_port_, absl::Seconds(20),
                                         process_.get());
  }
  if (!ready.ok()) {
    return absl::UnavailableError(absl::StrCat(ready.message(), "\n", process_->ReadOutput()));
  }
  return absl::OkStatus();
}

absl::StatusOr<test_support::ExitInfo> OauthdProcess::Terminate() {
  if (!process_) return absl::FailedPreconditionError("not running");
  return process_->Terminate(absl::Seconds(15));
}

absl::Status OauthdProcess::Restart() {
  auto exit = Terminate();
  if (!exit.ok()) return exit.status();
  if (!exit->Clean()) {
    return absl::InternalError(absl::StrCat("oauthd exited with ", exit->ToString()));
  }
  return Launch();
}

std::unique_ptr<grpc::ClientContext> OauthdProcess::Context(bool admin,
                                                           bool wait_for_ready) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_wait_for_ready(wait_for_ready);
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  if (admin) ctx->AddMetadata("authorization", "Bearer " + admin_token_);
  return ctx;
}

absl::StatusOr<oauth::v1::ClientAuthentication> OauthdProcess::CreateClient(
    const oauth::admin::v1::Client& client) {
  oauth::admin::v1::CreateClientRequest request;
  *request.mutable_client() = client;
  oauth::admin::v1::CreateClientResponse response;
  auto ctx = Context(true);
  grpc::Status status = admin_->CreateClient(ctx.get(), request, &response);
  if (!status.ok()) return absl::InternalError(status.error_message());
  oauth::v1::ClientAuthentication auth;
  auth.set_client_id(response.client().client_id());
  auth.set_client_secret(response.client_secret());
  return auth;
}

absl::Status OauthdProcess::CreateUser(const std::string& username,
                                       const std::string& password) {
  oauth::admin::v1::CreateUserRequest request;
  request.set_username(username);
  request.set_password(password);
  oauth::admin::v1::User user;
  auto ctx = Context(true);
  grpc::Status status = admin_->CreateUser(ctx.get(), request, &user);
  if (!status.ok()) return absl::InternalError(status.error_message());
  return absl::OkStatus();
}

oauth::v1::OAuthError OAuthErrorOf(const grpc::Status& status) {
  google::rpc::Status rich;
  oauth::v1::OAuthError error;
  if (rich.ParseFromString(status.error_details()) && rich.details_size() > 0) {
    rich.details(0).UnpackTo(&error);
  }
  return error;
}

}  // namespace oauthd::testing
