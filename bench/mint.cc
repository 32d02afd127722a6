// oauthd-mint: mints one-time credentials for the HTTP benchmarks
// (bench/http), which must spend each at most once.
//
//   oauthd-mint --kind=refresh --count=N ...   N refresh tokens (password grant)
//   oauthd-mint --kind=code --count=N ...      N authorization codes (Authorize
//                                              with the owner's login, PKCE S256)
//
// One item per line on stdout. Each mint costs a password hash on oauthd, so
// start it with a low --scrypt_log2_n for large pools. Exits 1 on the first
// failed call.

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/synchronization/mutex.h"
#include "oauth/v1/token.grpc.pb.h"

ABSL_FLAG(std::string, address, "127.0.0.1:50051", "oauthd address");
ABSL_FLAG(std::string, kind, "refresh", "refresh or code");
ABSL_FLAG(int, count, 100, "how many to mint");
ABSL_FLAG(int, threads, 4, "parallel calls");
ABSL_FLAG(std::string, client_id, "", "the client");
ABSL_FLAG(std::string, client_secret, "", "its secret (refresh: the password grant needs one)");
ABSL_FLAG(std::string, username, "", "the resource owner");
ABSL_FLAG(std::string, password, "", "the owner's password");
ABSL_FLAG(std::string, redirect_uri, "", "code: the client's redirect URI");
ABSL_FLAG(std::string, code_challenge, "", "code: the S256 challenge of the verifier bench/http sends");
ABSL_FLAG(std::string, scope, "", "the scope asked for (empty: the client's default)");

int main(int argc, char** argv) {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::ParseCommandLine(argc, argv);
  const std::string kind = absl::GetFlag(FLAGS_kind);
  if (kind != "refresh" && kind != "code") {
    std::fprintf(stderr, "--kind must be refresh or code\n");
    return 2;
  }
  auto stub = oauth::v1::TokenService::NewStub(
      grpc::CreateChannel(absl::GetFlag(FLAGS_address), grpc::InsecureChannelCredentials()));

  std::atomic<int> remaining{absl::GetFlag(FLAGS_count)};
  std::atomic<bool> failed{false};
  std::mutex out_mu;
  auto mint_one = [&]() -> bool {
    grpc::ClientContext ctx;
    std::string item;
    grpc::Status s;
    if (kind == "refresh") {
      oauth::v1::IssueTokenRequest req;
      req.mutable_client()->set_client_id(absl::GetFlag(FLAGS_client_id));
      req.mutable_client()->set_client_secret(absl::GetFlag(FLAGS_client_secret));
      req.mutable_password()->set_username(absl::GetFlag(FLAGS_username));
      req.mutable_password()->set_password(absl::GetFlag(FLAGS_password));
      req.mutable_password()->set_scope(absl::GetFlag(FLAGS_scope));
      oauth::v1::TokenResponse resp;
      s = stub->IssueToken(&ctx, req, &resp);
      item = resp.refresh_token();
    } else {
      oauth::v1::AuthorizeRequest req;
      req.set_client_id(absl::GetFlag(FLAGS_client_id));
      req.set_response_type("code");
      req.set_redirect_uri(absl::GetFlag(FLAGS_redirect_uri));
      req.set_scope(absl::GetFlag(FLAGS_scope));
      req.set_code_challenge(absl::GetFlag(FLAGS_code_challenge));
      req.set_code_challenge_method("S256");
      req.mutable_login()->set_username(absl::GetFlag(FLAGS_username));
      req.mutable_login()->set_password(absl::GetFlag(FLAGS_password));
      oauth::v1::AuthorizeResponse resp;
      s = stub->Authorize(&ctx, req, &resp);
      item = resp.code();
    }
    if (!s.ok() || item.empty()) {
      std::fprintf(stderr, "oauthd-mint: %s\n",
                   s.ok() ? "no credential in the answer" : s.error_message().c_str());
      return false;
    }
    std::lock_guard<std::mutex> lock(out_mu);
    std::fwrite(item.data(), 1, item.size(), stdout);
    std::fputc('\n', stdout);
    return true;
  };

  std::vector<std::thread> workers;
  for (int t = 0; t < std::max(1, absl::GetFlag(FLAGS_threads)); ++t) {
    workers.emplace_back([&] {
      while (!failed && remaining.fetch_sub(1) > 0) {
        if (!mint_one()) failed = true;
      }
    });
  }
  for (auto& w : workers) w.join();
  return failed ? 1 : 0;
}
