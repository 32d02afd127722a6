#ifndef OAUTHD_SERVER_GATEWAY_HTTP_SERVER_H_
#define OAUTHD_SERVER_GATEWAY_HTTP_SERVER_H_

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <cstddef>
#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "server/gateway/http_types.h"
#include "server/gateway/metrics.h"

namespace oauthd::gateway {

// Limits and timeouts of the HTTP server.
struct HttpServerOptions {
  boost::asio::ip::tcp::endpoint endpoint;
  // Larger bodies get 413 (checked against Content-Length before reading).
  size_t max_body_bytes = 64 * 1024;
  // Larger request heads (request line plus header fields) get 431.
  size_t max_header_bytes = 16 * 1024;
  // How long an open connection may wait for the first byte of a request.
  absl::Duration idle_timeout = absl::Seconds(60);
  // How long a client may take to send a whole request once it has begun
  // (slow-client cut-off), and to finish a TLS handshake.
  absl::Duration request_timeout = absl::Seconds(10);
  // How long a client may take to read a response.
  absl::Duration write_timeout = absl::Seconds(10);
  // Connections beyond this many are answered 503 and closed.
  int max_connections = 1024;
  // Serve HTTPS with this context; plain HTTP when null.
  std::shared_ptr<boost::asio::ssl::context> tls;
};

// An asynchronous HTTP/1.1 server (Boost.Beast) with keep-alive. Each
// connection runs on its own strand of the shared io_context; requests on a
// connection are answered in order. The handler gets each complete request
// and answers through the Respond callback, from any thread.
//
// Thread-safe. Must outlive the io_context's threads.
class HttpServer {
 public:
  using Handler = std::function<void(HttpRequest, Respond)>;

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
