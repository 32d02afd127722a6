#include "server/oauthd/listen_checks.h"

#include <grpc/grpc.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/status/statusor.h"
#include "server/common/env_flags.h"
#include "server/common/listen_address.h"
#include "server/common/port_check.h"

ABSL_DECLARE_FLAG(std::string, listen);
ABSL_DECLARE_FLAG(std::string, admin_listen);
ABSL_DECLARE_FLAG(std::string, local_listen);

namespace oauthd {

void CheckListenFlags() {
  struct Listen {
    const char* flag;
    std::string value;
    const char* example;
  };
  const Listen listens[] = {
      {"--listen", absl::GetFlag(FLAGS_listen), "127.0.0.1:50051"},
      {"--admin_listen", absl::GetFlag(FLAGS_admin_listen), "127.0.0.1:50052"},
      {"--local_listen", absl::GetFlag(FLAGS_local_listen), "unix:/run/oauthd/grpc.sock"},
  };
  for (const Listen& l : listens) {
    if (l.value.empty() && std::string(l.flag) == "--local_listen") continue;  // optional
    absl::StatusOr<ListenAddress> parsed = ParseListenAddress(l.flag, l.value, true, l.example);
    if (!parsed.ok()) {
      std::fprintf(stderr, "oauthd: %s\n", std::string(parsed.status().message()).c_str());
      std::exit(kConfigErrorExit);
    }
    if (absl::Status free = CheckListenAddressFree(l.flag, l.value, *parsed); !free.ok()) {
      std::fprintf(stderr, "oauthd: %s\n", std::string(free.message()).c_str());
      std::exit(free.code() == absl::StatusCode::kInvalidArgument ? kConfigErrorExit : 1);
    }
  }
}

void ConfigureListenerOptions(grpc::ServerBuilder& builder) {
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
}

}  // namespace oauthd
