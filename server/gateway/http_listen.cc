#include "server/gateway/http_listen.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "server/common/listen_address.h"
#include "server/common/port_check.h"

namespace oauthd::gateway {

absl::StatusOr<boost::asio::ip::tcp::endpoint> ResolveHttpListen(absl::string_view flag,
                                                                 absl::string_view text,
                                                                 absl::string_view example) {
  absl::StatusOr<ListenAddress> parsed =
      ParseListenAddress(flag, text, /*allow_unix=*/false, example);
  if (!parsed.ok()) return parsed.status();
  if (absl::Status free = CheckListenAddressFree(flag, text, *parsed); !free.ok()) return free;
  const std::string host = parsed->host == "localhost" ? "127.0.0.1" : parsed->host;
  boost::system::error_code ec;
  const boost::asio::ip::address address = boost::asio::ip::make_address(host, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, "=", text, ": the host must be an IP address or localhost"));
  }
  return boost::asio::ip::tcp::endpoint(address, static_cast<unsigned short>(parsed->port));
}

}  // namespace oauthd::gateway
