#include "server/common/listen_address.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace oauthd {
namespace {

bool IsHostName(absl::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  for (char c : host) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '.') return false;
  }
  return host.front() != '-' && host.front() != '.';
}

bool IsIpv6Literal(absl::string_view host) {
  if (host.empty() || host.find(':') == absl::string_view::npos) return false;
  for (char c : host) {
    if (!absl::ascii_isxdigit(c) && c != ':' && c != '.') return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<ListenAddress> ParseListenAddress(absl::string_view flag, absl::string_view text,
                                                 bool allow_unix, absl::string_view example) {
  const std::string prefix = absl::StrCat(flag, "=", text, ": ");
  const auto invalid = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(prefix, why));
  };
  const std::string expected =
      absl::StrCat("expected host:port, e.g. ", example, allow_unix ? ", or unix:/path" : "");
  ListenAddress address;
  absl::string_view rest = text;
  if (absl::ConsumePrefix(&rest, "unix:") || absl::ConsumePrefix(&rest, "unix-abstract:")) {
    if (!allow_unix) return invalid(absl::StrCat("a unix socket is not possible here; ", expected));
    if (rest.empty()) return invalid("the socket path is empty");
    if (absl::StartsWith(text, "unix:") && !absl::StartsWith(rest, "/")) {
      return invalid("the socket path must be absolute (unix:/path)");
    }
    address.unix_socket = true;
    return address;
  }
  absl::string_view host, port_text;
  if (absl::ConsumePrefix(&rest, "[")) {
    const size_t close = rest.find(']');
    if (close == absl::string_view::npos) return invalid(expected);
    host = rest.substr(0, close);
    rest.remove_prefix(close + 1);
    if (!absl::ConsumePrefix(&rest, ":")) return invalid(absl::StrCat("no port; ", expected));
    port_text = rest;
    if (!IsIpv6Literal(host)) return invalid(absl::StrCat("[", host, "] is not an IPv6 address"));
  } else {
    const size_t colon = rest.rfind(':');
    if (colon == absl::string_view::npos) return invalid(absl::StrCat("no port; ", expected));
    host = rest.substr(0, colon);
    port_text = rest.substr(colon + 1);
    if (host.empty()) {
      return invalid(absl::StrCat("no host; ", expected, " (0.0.0.0 for every interface)"));
    }
    if (host.find(':') != absl::string_view::npos) {
      return invalid("write an IPv6 address in brackets, e.g. [::1]:50051");
    }
    if (!IsHostName(host)) return invalid(absl::StrCat("\"", host, "\" is not a host; ", expected));
  }
  int port = 0;
  if (port_text.empty() || port_text.size() > 5 ||
      !std::all_of(port_text.begin(), port_text.end(), absl::ascii_isdigit) ||
      !absl::SimpleAtoi(port_text, &port) || port < 1 || port > 65535) {
    if (port_text.empty()) return invalid(absl::StrCat("no port; ", expected));
    return invalid(
        absl::StrCat("the port must be a number from 1 to 65535, not \"", port_text, "\""));
  }
  address.host = std::string(host);
  address.port = port;
  return address;
}

}  // namespace oauthd
