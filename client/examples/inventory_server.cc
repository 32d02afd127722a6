// inventory_server: the example resource server. Verifies the access tokens
// of incoming calls locally against oauthd's JWK Set (and, given
// introspection credentials, online against Introspect).
//
//   inventory_server --oauthd=127.0.0.1:50051 --issuer=http://127.0.0.1:8080
//       --audience=inventory [--listen=unix:/tmp/inventory.sock]
//       [--introspection_client_id=ID --introspection_client_secret=SECRET]
//
// Serves until SIGINT or SIGTERM.

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <signal.h>

#include <cstdio>
#include <map>
#include <string>

#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "client/lib/authorization_server.h"
#include "client/lib/grpc_auth.h"
#include "client/lib/verifier.h"
#include "inventory_service.h"

namespace {

// --name=value arguments.
std::map<std::string, std::string> ParseFlags(int argc, char** argv) {
  std::map<std::string, std::string> flags;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (!absl::StartsWith(arg, "--")) continue;
    const size_t eq = arg.find('=');
    flags[arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2)] =
        eq == std::string::npos ? "true" : arg.substr(eq + 1);
  }
  return flags;
}

std::string Flag(const std::map<std::string, std::string>& flags, const std::string& name,
                 const std::string& fallback = "") {
  const auto it = flags.find(name);
  return it == flags.end() ? fallback : it->second;
}

}  // namespace

int main(int argc, char** argv) {
  const std::map<std::string, std::string> flags = ParseFlags(argc, argv);
  const std::string listen = Flag(flags, "listen", "unix:/tmp/inventory.sock");
  const std::string oauthd = Flag(flags, "oauthd", "127.0.0.1:50051");

  // Wait for SIGINT/SIGTERM with sigwait: block them before gRPC starts its
  // threads so that none of those threads takes the signal.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  // 1. A Verifier for tokens oauthd issues for this service's audience.
  oauthd::client::VerifierOptions options;
  options.issuer = Flag(flags, "issuer", "http://127.0.0.1:8080");
  options.audience = Flag(flags, "audience", "inventory");
  options.introspection_client_id = Flag(flags, "introspection_client_id");
  options.introspection_client_secret = Flag(flags, "introspection_client_secret");
  options.online = !options.introspection_client_id.empty();
  auto verifier = oauthd::client::Verifier::Create(
      oauthd::client::NewGrpcAuthorizationServer(
          grpc::CreateChannel(oauthd, grpc::InsecureChannelCredentials())),
      std::move(options));
  if (!verifier.ok()) {
    std::fprintf(stderr, "inventory_server: %s\n", verifier.status().ToString().c_str());
    return 2;
  }
  // Fail fast if oauthd's keys cannot be fetched.
  if (absl::Status keys = (*verifier)->RefreshKeys(); !keys.ok()) {
    std::fprintf(stderr, "inventory_server: %s\n", keys.ToString().c_str());
    return 1;
  }

  // 2. The authenticator checks every call before its handler; the handlers
  //    read the caller's claims from it.
  auto auth = oauthd::client::ServerAuthenticator::Create(*verifier);
  inventory::InventoryService service(auth);
  int port = 0;
  auto server = inventory::StartInventoryServer(listen, &service, auth, &port);
  if (!server.ok()) {
    std::fprintf(stderr, "inventory_server: %s\n", server.status().ToString().c_str());
    return 1;
  }
  std::printf("inventory_server listening on %s%s\n", listen.c_str(),
              (*verifier)->options().online ? " (online verification)" : "");
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  (*server)->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  return 0;
}
