#ifndef OAUTHD_SERVER_GATEWAY_HTTP_LISTEN_H_
#define OAUTHD_SERVER_GATEWAY_HTTP_LISTEN_H_

#include <boost/asio/ip/tcp.hpp>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace oauthd::gateway {

// The endpoint an HTTP listen flag names ("host:port" or "[v6]:port", the
// host an IP address or localhost), checked free before anything else
// starts so that a taken port is one clear line, not a late bind failure.
// `flag` (e.g. "--listen") and `example` (e.g. "127.0.0.1:8080") appear in
// the messages. Errors: INVALID_ARGUMENT for a malformed value or a host
// that is not an address (a configuration error); FAILED_PRECONDITION when
// another process listens there. Thread-safe.
absl::StatusOr<boost::asio::ip::tcp::endpoint> ResolveHttpListen(absl::string_view flag,
                                                                 absl::string_view text,
                                                                 absl::string_view example);

}  // namespace oauthd::gateway

#endif  // OAUTHD_SERVER_GATEWAY_HTTP_LISTEN_H_
