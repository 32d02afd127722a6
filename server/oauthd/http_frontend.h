#ifndef OAUTHD_SERVER_OAUTHD_HTTP_FRONTEND_H_
#define OAUTHD_SERVER_OAUTHD_HTTP_FRONTEND_H_

#include <grpcpp/channel.h>
#include <grpcpp/server.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/gateway/csrf.h"
#include "server/gateway/gateway.h"
#include "server/gateway/http_server.h"
#include "server/gateway/metrics.h"
#include "server/gateway/source_address.h"

namespace oauthd {

// Settings of oauthd's own HTTP endpoints (--http_* flags).
struct HttpFrontendOptions {
  boost::asio::ip::tcp::endpoint endpoint;
  // HTTP worker threads (at least 1).
  int threads = 2;
  // oauthd's --issuer; endpoint URLs in the metadata derive from it.
  std::string issuer;
  // Proxies whose X-Forwarded-For names the client (--http_trusted_proxies).
  gateway::TrustedProxies trusted_proxies;
  // Serve HTTPS with this context (--http_tls_cert/--http_tls_key); plain
  // HTTP when null.
  std::shared_ptr<boost::asio::ssl::context> tls;
};

// The in-process mode: oauth-gateway's HTTP endpoints (the same Gateway and
// HttpServer, so the same routes, limits and answers; server/gateway/gateway.h)
// served by oauthd itself on --http_listen, calling oauthd's services over
// gRPC's in-process channel. It removes the sidecar hop: no HTTP/2 framing,
// no TCP, no second process's thread switches per request (bench/README.md
// has the numbers). The sidecar stays the documented deployment when the
// HTTP side must scale, restart or be configured apart from oauthd (HSTS,
// timeouts, connection caps, /authz proxy family and the other gateway
// flags take the gateway's
// defaults here).
//
// Thread-safe. Must stay alive until the process exits: after Shutdown,
// gRPC callback threads may still be finishing the last responses, which
// belong to this object's io_context (the race ThreadSanitizer found in
// oauth-gateway's main).
class HttpFrontend {
 public:
  // Binds `options.endpoint` and starts serving on `options.threads`
  // threads, calling `server` (started, serving oauthd's public services
  // and gRPC health) over its in-process channel. Every call carries
  // grpc_api::InProcessCallKey(), so oauthd believes the client address it
  // forwards. Errors: the bind failed (UNAVAILABLE, naming the address).
  static absl::StatusOr<std::unique_ptr<HttpFrontend>> Start(
      const HttpFrontendOptions& options, gateway::CsrfProtector csrf, grpc::Server& server);

  HttpFrontend(const HttpFrontend&) = delete;
  HttpFrontend& operator=(const HttpFrontend&) = delete;

  // The bound address (the port is known even after binding port 0).
  boost::asio::ip::tcp::endpoint local_endpoint() const { return server_.local_endpoint(); }

  // Graceful stop, before the gRPC server shuts down (requests in flight
  // need it): no new connections, idle ones closed, requests in flight
  // answered for at most `grace`, then the worker threads are joined. Call
  // once; blocks.
  void Shutdown(absl::Duration grace);

 private:
  HttpFrontend(const HttpFrontendOptions& options, gateway::CsrfProtector csrf,
               std::shared_ptr<grpc::Channel> channel);

  boost::asio::io_context io_;
  gateway::Metrics metrics_;
  const gateway::CsrfProtector csrf_;  // the Gateway keeps a reference
  gateway::Gateway gateway_;
  gateway::HttpServer server_;
  std::vector<std::thread> threads_;
};

}  // namespace oauthd

#endif  // OAUTHD_SERVER_OAUTHD_HTTP_FRONTEND_H_
