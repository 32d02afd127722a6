#ifndef OAUTHD_SERVER_GATEWAY_HTTP_SERVER_H_
#define OAUTHD_SERVER_GATEWAY_HTTP_SERVER_H_

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "server/gateway/http_types.h"
#include "server/gateway/metrics.h"
#include "server/gateway/source_address.h"

namespace oauthd::gateway {

// Limits and timeouts of the HTTP server.
struct HttpServerOptions {
  boost::asio::ip::tcp::endpoint endpoint;
  // Larger bodies get 413 (checked against Content-Length before reading).
  size_t max_body_bytes = 64 * 1024;
  // Larger request heads (request line plus header fields) get 431.
  size_t max_header_bytes = 16 * 1024;
  // How long a keep-alive connection may wait for the first byte of its next
  // request.
  absl::Duration idle_timeout = absl::Seconds(60);
  // The request-read timeout: how long a client may take to send a whole
  // request (head and body), counted from the request's first byte, or, for
  // the first request of a connection, from the moment the connection is
  // ready (accepted, or its TLS handshake done). Also bounds the TLS
  // handshake. Past it the connection is closed without an answer.
  absl::Duration request_timeout = absl::Seconds(10);
  // How long a client may take to read a response.
  absl::Duration write_timeout = absl::Seconds(10);
  // At most this many connections are open. A new connection beyond it first
  // closes the connection that has been idle longest (no request in
  // progress: waiting for the next one with no byte of it received, or
  // still sending its last response, in which case it closes once that is
  // out); when none is idle it is answered 503 and closed. The evicted
  // connection is no longer counted; if a request begins on it before it
  // closes, that request is still served, and the count briefly exceeds the
  // cap by one.
  int max_connections = 1024;
  // At most this many connections from one source address (the TCP peer),
  // with the same idle-first rule, except from `trusted_proxies`: a proxy
  // carries many clients, and only the overall cap applies to it.
  int max_connections_per_address = 64;
  // Proxies exempt from max_connections_per_address.
  TrustedProxies trusted_proxies;
  // Sent as Strict-Transport-Security on every response when not empty.
  std::string strict_transport_security;
  // Serve HTTPS with this context; plain HTTP when null.
  std::shared_ptr<boost::asio::ssl::context> tls;
};

// An asynchronous HTTP/1.1 server (Boost.Beast) with keep-alive. Each
// connection runs on its own strand of the shared io_context; requests on a
// connection are answered in order. The handler gets each complete request
// with what is known of its connection, and answers through the Respond
// callback, from any thread.
//
// Connection caps (HttpServerOptions): idle connections never hold a slot
// that a new connection needs; they are closed oldest first. A connection
// whose request is being read, handled or answered keeps its slot; each of
// those phases is bounded by a timeout (request_timeout, the handler's own
// deadline, write_timeout). A refused connection gets `503` with
// `Retry-After: 1` over plain HTTP; over TLS it is closed before the
// handshake (answering would cost a handshake).
//
// Thread-safe. Must outlive the io_context's threads.
class HttpServer {
 public:
  using Handler = std::function<void(HttpRequest, const ConnectionInfo&, Respond)>;

  HttpServer(boost::asio::io_context& io, HttpServerOptions options, Handler handler,
             Metrics& metrics);
  ~HttpServer();

  // Binds, listens and starts accepting. Fails when the address cannot be
  // bound.
  absl::Status Start();

  // The bound address (the port is known after Start with port 0).
  boost::asio::ip::tcp::endpoint local_endpoint() const;

  // Graceful stop: no new connections; idle keep-alive connections are
  // closed; requests being read or handled complete and their connections
  // close after the response. `on_drained` runs once, on an io thread, when
  // no connection is left; until then the io_context does not run out of
  // work. Call once.
  void Shutdown(std::function<void()> on_drained);

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace oauthd::gateway

#endif  // OAUTHD_SERVER_GATEWAY_HTTP_SERVER_H_
