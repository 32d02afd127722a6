#include "server/gateway/http_server.h"

#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <cstdio>
#include <optional>
#include <type_traits>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "server/gateway/request_parser.h"

namespace oauthd::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

std::chrono::milliseconds ToChrono(absl::Duration d) {
  return std::chrono::milliseconds(absl::ToInt64Milliseconds(d));
}

// RFC 9110 §5.6.7 IMF-fixdate.
std::string HttpDate() {
  return absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT", absl::Now(), absl::UTCTimeZone());
}

// Errors that only mean "the peer went away or took too long": close quietly.
bool IsDisconnect(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == http::error::partial_message ||
         ec == beast::error::timeout || ec == asio::error::operation_aborted ||
         ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::error::bad_descriptor ||
         ec == asio::ssl::error::stream_truncated;
}

}  // namespace

// What every connection can see of the server.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Asks the connection to close once it is idle. Thread-safe.
  virtual void OnServerShutdown() = 0;
};

struct HttpServer::State : std::enable_shared_from_this<HttpServer::State> {
  State(asio::io_context& io_context, HttpServerOptions server_options, Handler request_handler,
        Metrics& server_metrics)
      : io(io_context),
        options(std::move(server_options)),
        handler(std::move(request_handler)),
        metrics(server_metrics),
        acceptor(asio::make_strand(io_context)),
        accept_retry(acceptor.get_executor()) {}

  void Accept();
  void OnAccept(const beast::error_code& ec, tcp::socket socket);
  void Reject(tcp::socket socket);
  void Unregister(SessionBase* session);

  asio::io_context& io;
  const HttpServerOptions options;
  const Handler handler;
  Metrics& metrics;
  tcp::acceptor acceptor;
  asio::steady_timer accept_retry;
  std::atomic<bool> shutting_down{false};

  absl::Mutex mu;
  absl::flat_hash_map<SessionBase*, std::weak_ptr<SessionBase>> sessions ABSL_GUARDED_BY(mu);
  std::function<void()> on_drained ABSL_GUARDED_BY(mu);
};

namespace {

// One connection. Every member runs on the connection's strand (the
// executor of its socket), so no locking is needed inside.
template <class Stream>
class Session final : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  template <class... Args>
  explicit Session(std::shared_ptr<HttpServer::State> state, Args&&... args)
      : state_(std::move(state)), stream_(std::forward<Args>(args)...) {}

  ~Session() override { state_->Unregister(this); }

  void Run() {
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->Begin(); });
  }

  void OnServerShutdown() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      // A connection waiting for its next request is closed now; one in the
      // middle of a request closes after the response (keep-alive off).
      if (self->phase_ == Phase::kIdle) self->Lowest().cancel();
    });
  }

 private:
  enum class Phase { kHandshake, kIdle, kReading, kHandling, kWriting, kClosing };

  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }
  const HttpServerOptions& options() const { return state_->options; }

  void Begin() {
    if constexpr (kTls) {
      phase_ = Phase::kHandshake;
      Lowest().expires_after(ToChrono(options().request_timeout));
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (!ec) self->ReadRequest();
                                // On failure the session ends; the socket closes with it.
                              });
    } else {
      ReadRequest();
    }
  }

  void ReadRequest() {
    phase_ = Phase::kIdle;
    if (state_->shutting_down.load()) {
      Close(false);
      return;
    }
    parser_.emplace();
    ConfigureRequestParser(*parser_, options().max_body_bytes, options().max_header_bytes);
    // Idle phase: wait for the first bytes of the next request.
    Lowest().expires_after(ToChrono(options().idle_timeout));
    http::async_read_some(stream_, buffer_, *parser_,
                          [self = this->shared_from_this()](beast::error_code ec, size_t) {
                            self->OnFirstBytes(ec);
                          });
  }

  void OnFirstBytes(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    // Reading phase: the whole request must arrive within request_timeout.
    phase_ = Phase::kReading;
    Lowest().expires_after(ToChrono(options().request_timeout));
    if (parser_->is_header_done()) return OnHeader({});
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    if (parser_->is_done()) return Dispatch();
    const auto& head = parser_->get();
    if (head.version() >= 11 &&
        absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(ToAbsl(head[http::field::expect])),
                               "100-continue")) {
      continue_.emplace(http::status::continue_, head.version());
      http::async_write(stream_, *continue_,
                        [self = this->shared_from_this()](beast::error_code ec, size_t) {
                          if (ec) return self->Close(false);
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->OnReadError(ec);
                       self->Dispatch();
                     });
  }

  void OnReadError(const beast::error_code& ec) {
    if (IsDisconnect(ec)) return Close(false);
    if (ec == http::error::body_limit) {
      return WriteErrorAndClose(
          http::status::payload_too_large, "application/json",
          absl::StrCat("{\"error\":\"invalid_request\",\"error_description\":\"the request "
                       "body is larger than ",
                       options().max_body_bytes, " bytes\"}"));
    }
    if (ec == http::error::header_limit) {
      return WriteErrorAndClose(http::status::request_header_fields_too_large,
                                "text/plain; charset=utf-8", "request header fields too large\n");
    }
    if (ec.category() == http::make_error_code(http::error::bad_target).category()) {
      return WriteErrorAndClose(http::status::bad_request, "text/plain; charset=utf-8",
                                "malformed HTTP request\n");
    }
    Close(false);
  }

  void Dispatch() {
    phase_ = Phase::kHandling;
    // The handler's RPC deadline bounds this phase; no socket timeout.
    Lowest().expires_never();
    HttpRequest request = parser_->release();
    parser_.reset();
    keep_alive_ = request.keep_alive();
    version_ = request.version();
    // Keeps io_context::run alive while only gRPC holds the request.
    work_.emplace(asio::make_work_guard(state_->io));
    auto self = this->shared_from_this();
    state_->handler(std::move(request), [self](HttpResponse response) {
      auto holder = std::make_shared<HttpResponse>(std::move(response));
      asio::post(self->stream_.get_executor(),
                 [self, holder] { self->Write(std::move(*holder), self->keep_alive_); });
    });
  }

  void Write(HttpResponse response, bool keep_alive) {
    work_.reset();
    phase_ = Phase::kWriting;
    response_ = std::move(response);
    response_.version(version_);
    response_.keep_alive(keep_alive && !state_->shutting_down.load());
    response_.set(http::field::date, HttpDate());
    response_.prepare_payload();
    Lowest().expires_after(ToChrono(options().write_timeout));
    http::async_write(stream_, response_,
                      [self = this->shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) return self->Close(false);
                        if (!self->response_.keep_alive()) return self->Close(self->linger_);
                        self->ReadRequest();
                      });
  }

  void WriteErrorAndClose(http::status status, absl::string_view content_type, std::string body) {
    HttpResponse response;
    response.result(status);
    response.set(http::field::content_type, std::string(content_type));
    response.set(http::field::cache_control, "no-store");
    response.body() = std::move(body);
    // The rest of the request was not read: drain a little of it before
    // closing so the client sees this response rather than a reset.
    linger_ = true;
    if (version_ == 0) version_ = 11;
    Write(std::move(response), false);
  }

  // Ends the connection: TLS close_notify, or a TCP half-close (optionally
  // draining unread request bytes for a moment so the peer is not reset
  // before it reads our last response).
  void Close(bool linger) {
    phase_ = Phase::kClosing;
    if constexpr (kTls) {
      Lowest().expires_after(std::chrono::seconds(1));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
    } else {
      beast::error_code ignored;
      Lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
      if (!linger) return;
      Lowest().expires_after(std::chrono::seconds(2));
      Drain();
    }
  }

  void Drain() {
    Lowest().async_read_some(asio::buffer(drain_),
                             [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                               self->drained_ += n;
                               if (!ec && self->drained_ < (1u << 20)) self->Drain();
                             });
  }

  std::shared_ptr<HttpServer::State> state_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<RequestParser> parser_;
  std::optional<http::response<http::empty_body>> continue_;
  HttpResponse response_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  Phase phase_ = Phase::kIdle;
  bool keep_alive_ = false;
  bool linger_ = false;
  unsigned version_ = 0;
  std::array<char, 4096> drain_;
  size_t drained_ = 0;
};

}  // namespace

void HttpServer::State::Accept() {
  acceptor.async_accept(asio::make_strand(io),
                        [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
                          self->OnAccept(ec, std::move(socket));
                        });
}

void HttpServer::State::OnAccept(const beast::error_code& ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
  if (ec) {
    // Typically EMFILE: back off briefly instead of spinning.
    std::fprintf(stderr, "oauth-gateway: accept failed: %s\n", ec.message().c_str());
    accept_retry.expires_after(std::chrono::milliseconds(100));
    accept_retry.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
      if (!wait_ec && !self->shutting_down.load()) self->Accept();
    });
    return;
  }
  if (shutting_down.load()) return;  // the socket closes as it goes out of scope
  bool full;
  {
    absl::MutexLock lock(&mu);
    full = static_cast<int>(sessions.size()) >= options.max_connections;
  }
  if (full) {
    metrics.ConnectionRejected();
    Reject(std::move(socket));
  } else {
    std::shared_ptr<SessionBase> session;
    if (options.tls) {
      auto s = std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
          shared_from_this(), std::move(socket), *options.tls);
      session = s;
      {
        absl::MutexLock lock(&mu);
        sessions.emplace(session.get(), session);
      }
      metrics.ConnectionOpened();
      s->Run();
    } else {
      auto s = std::make_shared<Session<beast::tcp_stream>>(shared_from_this(), std::move(socket));
      session = s;
      {
        absl::MutexLock lock(&mu);
        sessions.emplace(session.get(), session);
      }
      metrics.ConnectionOpened();
      s->Run();
    }
  }
  Accept();
}

void HttpServer::State::Reject(tcp::socket socket) {
  if (options.tls) return;  // no cheap way to answer before a handshake: just close
  struct Rejection {
    beast::tcp_stream stream;
    std::string text;
  };
  static constexpr absl::string_view kBody =
      "{\"error\":\"temporarily_unavailable\",\"error_description\":\"too many "
      "connections\"}";
  auto rejection = std::make_shared<Rejection>(Rejection{
      beast::tcp_stream(std::move(socket)),
      absl::StrCat("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                   "Content-Length: ",
                   kBody.size(), "\r\nRetry-After: 1\r\nConnection: close\r\n\r\n", kBody)});
  rejection->stream.expires_after(std::chrono::seconds(1));
  asio::async_write(rejection->stream, asio::buffer(rejection->text),
                    [rejection](beast::error_code, size_t) {
                      beast::error_code ignored;
                      rejection->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
                    });
}

void HttpServer::State::Unregister(SessionBase* session) {
  metrics.ConnectionClosed();
  std::function<void()> drained;
  {
    absl::MutexLock lock(&mu);
    sessions.erase(session);
    if (sessions.empty() && shutting_down.load() && on_drained) drained = std::move(on_drained);
  }
  if (drained) asio::post(io, std::move(drained));
}

HttpServer::HttpServer(asio::io_context& io, HttpServerOptions options, Handler handler,
                       Metrics& metrics)
    : state_(std::make_shared<State>(io, std::move(options), std::move(handler), metrics)) {}

HttpServer::~HttpServer() = default;

absl::Status HttpServer::Start() {
  beast::error_code ec;
  tcp::acceptor& acceptor = state_->acceptor;
  const tcp::endpoint& endpoint = state_->options.endpoint;
  const std::string where = absl::StrCat(endpoint.address().to_string(), ":", endpoint.port());
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return absl::UnavailableError(absl::StrCat("cannot listen on ", where, ": ", ec.message()));
  asio::dispatch(acceptor.get_executor(), [state = state_] { state->Accept(); });
  return absl::OkStatus();
}

tcp::endpoint HttpServer::local_endpoint() const {
  beast::error_code ec;
  return state_->acceptor.local_endpoint(ec);
}

void HttpServer::Shutdown(std::function<void()> on_drained) {
  state_->shutting_down.store(true);
  asio::post(state_->acceptor.get_executor(), [state = state_] {
    beast::error_code ignored;
    state->acceptor.close(ignored);
    state->accept_retry.cancel();
  });
  std::vector<std::shared_ptr<SessionBase>> open;
  {
    absl::MutexLock lock(&state_->mu);
    for (auto& [raw, weak] : state_->sessions) {
      if (auto session = weak.lock()) open.push_back(std::move(session));
    }
    // The last session may end on a thread outside the io_context (the
    // handler's completion holds a reference): the guard keeps the io threads
    // running until on_drained has run, so it is never stranded in the queue.
    auto guard = std::make_shared<asio::executor_work_guard<asio::io_context::executor_type>>(
        state_->io.get_executor());
    std::function<void()> run_then_release = [guard, on_drained = std::move(on_drained)] {
      on_drained();
      guard->reset();
    };
    if (state_->sessions.empty()) {
      asio::post(state_->io, std::move(run_then_release));
    } else {
      state_->on_drained = std::move(run_then_release);
    }
  }
  for (const auto& session : open) session->OnServerShutdown();
}

}  // namespace oauthd::gateway
