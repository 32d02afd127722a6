#ifndef OAUTHD_SERVER_GATEWAY_HTTP_TYPES_H_
#define OAUTHD_SERVER_GATEWAY_HTTP_TYPES_H_

#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <functional>

#include "absl/strings/string_view.h"

namespace oauthd::gateway {

// One HTTP request, body read in full (bounded by --max_body_bytes).
using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
// One HTTP response; the server sets version, keep-alive and Content-Length.
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;
// Hands a response back to the connection. Callable from any thread, exactly
// once per request.
using Respond = std::function<void(HttpResponse)>;

// What the server knows about the connection a request arrived on.
struct ConnectionInfo {
  // The TCP peer, canonical (an IPv4-mapped IPv6 address as IPv4, no IPv6
  // zone index): a client, or a proxy in front of the gateway.
  boost::asio::ip::address peer;
};

// Beast's string_view as an absl::string_view (Boost 1.74 uses its own type).
inline absl::string_view ToAbsl(boost::beast::string_view view) {
  return absl::string_view(view.data(), view.size());
}

}  // namespace oauthd::gateway

#endif  // OAUTHD_SERVER_GATEWAY_HTTP_TYPES_H_
