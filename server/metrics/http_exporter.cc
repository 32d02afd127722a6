#include "server/metrics/http_exporter.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/metrics/registry.h"

namespace oauthd::metrics {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct HttpExporter::State : std::enable_shared_from_this<HttpExporter::State> {
  explicit State(std::function<std::string()> r) : render(std::move(r)) {}
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::function<std::string()> render;
  std::thread thread;
};

namespace {

// One connection: read a request, answer it, close.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const std::function<std::string()>& render)
      : stream_(std::move(socket)), render_(render) {}

  void Run() {
    parser_.header_limit(8 * 1024);
    parser_.body_limit(8 * 1024);
    stream_.expires_after(std::chrono::seconds(10));
    http::async_read(stream_, buffer_, parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (!ec) self->Respond();
                     });
  }

 private:
  void Respond() {
    const auto& request = parser_.get();
    response_.version(11);
    response_.keep_alive(false);
    const std::string target(request.target());
    const bool head = request.method() == http::verb::head;
    if (request.method() != http::verb::get && !head) {
      response_.result(http::status::method_not_allowed);
      response_.set(http::field::allow, "GET, HEAD");
      response_.set(http::field::content_type, "text/plain; charset=utf-8");
      response_.body() = "method not allowed\n";
    } else if (target != "/metrics" && target.rfind("/metrics?", 0) != 0) {
      response_.result(http::status::not_found);
      response_.set(http::field::content_type, "text/plain; charset=utf-8");
      response_.body() = "not found: metrics are at /metrics\n";
    } else {
      response_.result(http::status::ok);
      response_.set(http::field::content_type, kExpositionContentType);
      response_.set(http::field::cache_control, "no-store");
      response_.body() = render_();
    }
    response_.prepare_payload();
    if (head) response_.body().clear();
    stream_.expires_after(std::chrono::seconds(10));
    http::async_write(stream_, response_,
                      [self = shared_from_this()](beast::error_code, size_t) {
                        beast::error_code ignored;
                        self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
                      });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request_parser<http::string_body> parser_;
  http::response<http::string_body> response_;
  const std::function<std::string()>& render_;
};

void AcceptLoop(std::shared_ptr<HttpExporter::State> state);

}  // namespace

int HttpExporter::port() const { return state_->acceptor.local_endpoint().port(); }

HttpExporter::~HttpExporter() {
  asio::post(state_->io, [state = state_] {
    beast::error_code ignored;
    state->acceptor.close(ignored);
    state->io.stop();
  });
  if (state_->thread.joinable()) state_->thread.join();
}

absl::StatusOr<std::unique_ptr<HttpExporter>> HttpExporter::Start(
    const std::string& address, std::function<std::string()> render) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", address, "' is not host:port (e.g. 127.0.0.1:9464)"));
  }
  std::string host = address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int port = 0;
  if (!absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", address, "' has no valid port (0-65535)"));
  }
  beast::error_code ec;
  asio::ip::address ip = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", address, "': host must be an IP address or localhost"));
  }
  auto state = std::make_shared<State>(std::move(render));
  const tcp::endpoint endpoint(ip, static_cast<unsigned short>(port));
  state->acceptor.open(endpoint.protocol(), ec);
  if (!ec) state->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) state->acceptor.bind(endpoint, ec);
  if (!ec) state->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address, ": ", ec.message()));
  }
  AcceptLoop(state);
  state->thread = std::thread([state] { state->io.run(); });
  return std::unique_ptr<HttpExporter>(new HttpExporter(state));
}

namespace {

void AcceptLoop(std::shared_ptr<HttpExporter::State> state) {
  HttpExporter::State* raw = state.get();
  raw->acceptor.async_accept([state = std::move(state)](beast::error_code ec,
                                                        tcp::socket socket) mutable {
    if (ec == asio::error::operation_aborted || !state->acceptor.is_open()) return;
    if (!ec) std::make_shared<Session>(std::move(socket), state->render)->Run();
    AcceptLoop(std::move(state));
  });
}

}  // namespace

}  // namespace oauthd::metrics
