#ifndef OAUTHD_SERVER_COMMON_LISTEN_ADDRESS_H_
#define OAUTHD_SERVER_COMMON_LISTEN_ADDRESS_H_

// Validation of the listen addresses of oauthd and oauth-gateway, so a typo
// stops the start with one line instead of binding somewhere unexpected
// (gRPC reads "127.0.0.1:80800" as port 15264 and "localhost" as port 443).

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace oauthd {

struct ListenAddress {
  // True for "unix:/path" and "unix-abstract:name"; host and port are then
  // unused.
  bool unix_socket = false;
  // Without brackets: "127.0.0.1", "::1", "0.0.0.0", "localhost", a DNS name.
  std::string host;
  int port = 0;  // 1-65535
};

// Parses `text`, the value of the flag `flag` (named in errors, e.g.
// "--listen"). Accepts "host:port", "[ipv6]:port" and, when `allow_unix`,
// "unix:/absolute/path" or "unix-abstract:name". The host is an IP address
// or a DNS name (letters, digits, '-', '.'); the port is decimal, 1-65535.
// INVALID_ARGUMENT otherwise, with a message of one line that names the flag,
// the value and the expected form, e.g.
//   --listen=localhost: expected host:port, e.g. 127.0.0.1:50051
// `example` is the host:port shown in such messages. Thread-safe.
absl::StatusOr<ListenAddress> ParseListenAddress(absl::string_view flag, absl::string_view text,
                                                 bool allow_unix, absl::string_view example);

}  // namespace oauthd

#endif  // OAUTHD_SERVER_COMMON_LISTEN_ADDRESS_H_
