// bench-echo-server: a gRPC unary echo server built like oauthd's server
// (callback API, default builder settings, insecure loopback port), so
// `oauthd-load --rpc=echo` against it measures what gRPC alone costs on
// this machine: the ceiling bench/run compares oauthd's RPCs with.
//
//   bench-echo-server --listen=127.0.0.1:0   # prints "listening on PORT"

#include <grpcpp/grpcpp.h>

#include <csignal>
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/synchronization/mutex.h"
#include "echo.grpc.pb.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0", "address to listen on (port 0: any free port)");

namespace {

class EchoService final : public bench::Echo::CallbackService {
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* ctx,
                                 const bench::EchoMessage* request,
                                 bench::EchoMessage* response) override {
    response->set_payload(request->payload());
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

}  // namespace

int main(int argc, char** argv) {
  // Debian builds Abseil without NDEBUG, which leaves Mutex deadlock
  // detection on: every lock of ours and of gRPC's records lock order in one
  // process-wide graph behind a global spin lock.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::ParseCommandLine(argc, argv);
  EchoService service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(absl::GetFlag(FLAGS_listen), grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) {
    std::fprintf(stderr, "bench-echo-server: cannot listen on %s\n",
                 absl::GetFlag(FLAGS_listen).c_str());
    return 1;
  }
  std::printf("listening on %d\n", port);
  std::fflush(stdout);
  // Runs until killed (bench/run stops it with SIGTERM).
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  int sig = 0;
  sigwait(&set, &sig);
  server->Shutdown();
  return 0;
}
