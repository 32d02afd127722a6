#include "server/common/port_check.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace oauthd {
namespace {

absl::Status CheckUnixSocket(absl::string_view flag, absl::string_view text) {
  absl::string_view path = text;
  bool abstract = false;
  if (absl::StartsWith(path, "unix-abstract:")) {
    path.remove_prefix(14);
    abstract = true;
  } else {
    path.remove_prefix(5);
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const size_t offset = abstract ? 1 : 0;
  if (path.size() + offset >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat(flag, "=", text, ": the socket path is longer than ",
                                                   sizeof(addr.sun_path) - 1, " bytes"));
  }
  std::memcpy(addr.sun_path + offset, path.data(), path.size());
  const socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + offset + path.size() +
                                               (abstract ? 0 : 1));
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::OkStatus();
  const bool live = connect(fd, reinterpret_cast<const sockaddr*>(&addr), len) == 0;
  close(fd);
  if (live) {
    return absl::FailedPreconditionError(absl::StrCat(
        flag, "=", text, ": another process is already listening on this socket"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckListenAddressFree(absl::string_view flag, absl::string_view text,
                                    const ListenAddress& address) {
  if (address.unix_socket) return CheckUnixSocket(flag, text);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* results = nullptr;
  const std::string port = std::to_string(address.port);
  if (getaddrinfo(address.host.c_str(), port.c_str(), &hints, &results) != 0 ||
      results == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, "=", text, ": cannot resolve the host ", address.host));
  }
  absl::Status status;
  for (addrinfo* ai = results; ai != nullptr && status.ok(); ai = ai->ai_next) {
    const int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;  // e.g. no IPv6 on this machine
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ai->ai_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      const int error = errno;
      if (error == EADDRINUSE) {
        status = absl::FailedPreconditionError(
            absl::StrCat(flag, "=", text, ": port ", address.port,
                         " is already in use by another process"));
      } else if (error == EADDRNOTAVAIL) {
        status = absl::InvalidArgumentError(absl::StrCat(
            flag, "=", text, ": ", address.host, " is not an address of this machine"));
      } else if (error == EACCES) {
        status = absl::FailedPreconditionError(absl::StrCat(
            flag, "=", text, ": no permission to listen on port ", address.port));
      }
    }
    close(fd);
  }
  freeaddrinfo(results);
  return status;
}

}  // namespace oauthd
