#ifndef OAUTHD_SERVER_METRICS_HTTP_EXPORTER_H_
#define OAUTHD_SERVER_METRICS_HTTP_EXPORTER_H_

// A minimal HTTP/1.1 server for Prometheus scrapes (oauthd --metrics_listen):
// GET or HEAD /metrics answers 200 with the registry's exposition text;
// other paths 404, other methods 405 with `Allow: GET, HEAD`. One thread of
// its own (Boost.Asio), one request per connection (Connection: close),
// 10 s to send a request, requests over 8 KiB refused. It serves nothing but
// metrics, which carry no secret, so it has no authentication: keep it on
// loopback or a port only the scraper can reach (NetworkPolicy).

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace oauthd::metrics {

class HttpExporter {
 public:
  // Binds `address` ("host:port"; IPv6 hosts in brackets; port 0 picks a free
  // one) and starts serving `render()`'s text. INVALID_ARGUMENT for a
  // malformed address, UNAVAILABLE naming the address when it cannot be
  // bound (e.g. already in use).
  static absl::StatusOr<std::unique_ptr<HttpExporter>> Start(
      const std::string& address, std::function<std::string()> render);
  // Stops accepting and joins the thread.
  ~HttpExporter();

  // The port actually bound.
  int port() const;

  struct State;  // internal

 private:
  explicit HttpExporter(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

}  // namespace oauthd::metrics

#endif  // OAUTHD_SERVER_METRICS_HTTP_EXPORTER_H_
