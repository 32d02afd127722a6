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
#include <limits>
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

// What the server can see of every connection.
class SessionBase {
 public:
  static constexpr int64_t kBusy = -1;

  virtual ~SessionBase() = default;
  // Closes the connection unless a request is in progress on it: at once
  // when it waits for a request (no byte of it received) or is closing
  // anyway, once the response is out when it is sending one. A connection
  // in the middle of a request carries on (at shutdown its response turns
  // keep-alive off). Thread-safe.
  virtual void CloseIfIdle() = 0;

  // Since when (steady clock, ns) the connection has had no request in
  // progress (waiting for one, or sending the last response), or kBusy.
  // Written on the connection's strand, read by the acceptor when a cap is
  // reached. A response being sent counts as idle so that a client which has
  // read it finds its connection idle, whenever the strand gets to record it.
  std::atomic<int64_t> idle_since{kBusy};
};

namespace {

int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

using AddressKey = asio::ip::address_v6::bytes_type;

AddressKey KeyOf(const asio::ip::address& address) {
  if (address.is_v4()) {
    return asio::ip::make_address_v6(asio::ip::v4_mapped, address.to_v4()).to_bytes();
  }
  return address.to_v6().to_bytes();
}

}  // namespace

struct HttpServer::State : std::enable_shared_from_this<HttpServer::State> {
  State(asio::io_context& io_context, HttpServerOptions server_options, Handler request_handler,
        Metrics& server_metrics)
      : io(io_context),
        options(std::move(server_options)),
        handler(std::move(request_handler)),
        metrics(server_metrics),
        acceptor(asio::make_strand(io_context)),
        accept_retry(acceptor.get_executor()) {}

  // A registered connection. A connection chosen to make room is `evicted`:
  // no longer counted against the caps even if it lives on for a moment.
  struct Entry {
    std::weak_ptr<SessionBase> session;
    AddressKey address;
    bool per_address = false;  // counted in per_address
    bool evicted = false;
  };

  void Accept();
  void OnAccept(const beast::error_code& ec, tcp::socket socket);
  // Takes a slot for a connection from `address` (also counted against its
  // address when `limit_address`), first evicting the longest-idle
  // connection when a cap is reached; `victim` is then the connection to
  // close. False when no slot can be had; `address_cap` then says whether the
  // per-address cap was the reason.
  bool Reserve(const AddressKey& address, bool limit_address, std::shared_ptr<SessionBase>* victim,
               bool* address_cap) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  void Uncount(Entry& entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  void Reject(tcp::socket socket);
  void Unregister(SessionBase* session);

  asio::io_context& io;
  const HttpServerOptions options;
  const Handler handler;
  Metrics& metrics;
  tcp::acceptor acceptor;
  asio::steady_timer accept_retry;
  std::atomic<bool> shutting_down{false};
  // Refused connections still being drained (bounded by max_connections).
  std::atomic<int> lingering_rejections{0};

  absl::Mutex mu;
  absl::flat_hash_map<SessionBase*, Entry> sessions ABSL_GUARDED_BY(mu);
  // Connections counted against max_connections / per address.
  int counted ABSL_GUARDED_BY(mu) = 0;
  absl::flat_hash_map<AddressKey, int> per_address ABSL_GUARDED_BY(mu);
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
  explicit Session(std::shared_ptr<HttpServer::State> state, ConnectionInfo info, Args&&... args)
      : state_(std::move(state)), info_(std::move(info)), stream_(std::forward<Args>(args)...) {}

  ~Session() override { state_->Unregister(this); }

  void Run() {
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->Begin(); });
  }

  void CloseIfIdle() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      if (self->phase_ == Phase::kIdle || self->phase_ == Phase::kClosing) {
        self->Lowest().cancel();
      } else if (self->phase_ == Phase::kWriting) {
        self->close_after_write_ = true;
      }
    });
  }

 private:
  enum class Phase { kHandshake, kIdle, kReading, kHandling, kWriting, kClosing };

  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }
  const HttpServerOptions& options() const { return state_->options; }

  void SetPhase(Phase phase) {
    const Phase was = phase_;
    phase_ = phase;
    // Idle since its response began to go out, not since the write finished:
    // the client may have read it and opened its next connection before this
    // strand records the end of the write, and that connection must not look
    // idle for longer than this one.
    if (was == Phase::kWriting && phase == Phase::kIdle) return;
    // A closing connection is the first to go when room is needed.
    idle_since.store(phase == Phase::kIdle || phase == Phase::kWriting ? SteadyNowNs()
                     : phase == Phase::kClosing                        ? 0
                                                                       : kBusy,
                     std::memory_order_relaxed);
  }

  void Begin() {
    if constexpr (kTls) {
      SetPhase(Phase::kHandshake);
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
    if (state_->shutting_down.load()) {
      Close(false);
      return;
    }
    parser_.emplace();
    ConfigureRequestParser(*parser_, options().max_body_bytes, options().max_header_bytes);
    if (buffer_.size() > 0) {
      // The next (pipelined) request has begun already.
      SetPhase(Phase::kReading);
      Lowest().expires_after(ToChrono(options().request_timeout));
      return ReadHeader();
    }
    // Idle: wait for the first byte of the next request. A new connection
    // gets request_timeout for its whole first request; a keep-alive one
    // idle_timeout until the next request begins. Raw bytes are read here,
    // not through the parser, which would only return once the whole head
    // had arrived (under the idle timeout).
    SetPhase(Phase::kIdle);
    Lowest().expires_after(
        ToChrono(first_request_ ? options().request_timeout : options().idle_timeout));
    stream_.async_read_some(buffer_.prepare(kReadChunk),
                            [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                              self->buffer_.commit(n);
                              self->OnFirstBytes(ec);
                            });
  }

  void OnFirstBytes(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    SetPhase(Phase::kReading);
    // The whole request must arrive within request_timeout of its first byte
    // (of the connection's start for the first request: timer left running).
    if (!first_request_) Lowest().expires_after(ToChrono(options().request_timeout));
    ReadHeader();
  }

  void ReadHeader() {
    first_request_ = false;
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
    SetPhase(Phase::kHandling);
    // The handler's RPC deadline bounds this phase; no socket timeout.
    Lowest().expires_never();
    HttpRequest request = parser_->release();
    parser_.reset();
    keep_alive_ = request.keep_alive();
    version_ = request.version();
    head_ = request.method() == http::verb::head;
    // Keeps io_context::run alive while only gRPC holds the request.
    work_.emplace(asio::make_work_guard(state_->io));
    auto self = this->shared_from_this();
    state_->handler(std::move(request), info_, [self](HttpResponse response) {
      auto holder = std::make_shared<HttpResponse>(std::move(response));
      asio::post(self->stream_.get_executor(),
                 [self, holder] { self->Write(std::move(*holder), self->keep_alive_); });
    });
  }

  void Write(HttpResponse response, bool keep_alive) {
    work_.reset();
    SetPhase(Phase::kWriting);
    response_ = std::move(response);
    response_.version(version_);
    response_.keep_alive(keep_alive && !state_->shutting_down.load());
    response_.set(http::field::date, HttpDate());
    if (!options().strict_transport_security.empty()) {
      response_.set(http::field::strict_transport_security, options().strict_transport_security);
    }
    response_.prepare_payload();
    if (head_) {
      // RFC 9110 §9.3.2: the headers a GET would get, Content-Length
      // included, and no body.
      response_.body().clear();
    }
    Lowest().expires_after(ToChrono(options().write_timeout));
    http::async_write(stream_, response_,
                      [self = this->shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) return self->Close(false);
                        if (!self->response_.keep_alive() || self->close_after_write_) {
                          return self->Close(self->linger_);
                        }
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
    // The request was not read in full: its method is not known for sure.
    head_ = false;
    if (version_ == 0) version_ = 11;
    Write(std::move(response), false);
  }

  // Ends the connection: TLS close_notify, or a TCP half-close. With
  // `linger`, unread request bytes are first drained for a moment (up to
  // 1 MiB, 2 s) so that closing does not reset the connection before the
  // peer has read our last response.
  void Close(bool linger) {
    SetPhase(Phase::kClosing);
    if constexpr (kTls) {
      if (linger) {
        Lowest().expires_after(std::chrono::seconds(2));
        return Drain();
      }
      Shutdown();
    } else {
      beast::error_code ignored;
      Lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
      if (!linger) return;
      Lowest().expires_after(std::chrono::seconds(2));
      Drain();
    }
  }

  void Shutdown() {
    if constexpr (kTls) {
      Lowest().expires_after(std::chrono::seconds(1));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
    }
  }

  // Reads and drops what the peer still sends; the session ends when the
  // peer closes, the time is up or 1 MiB has been dropped (with TLS, after a
  // close_notify in that last case).
  void Drain() {
    stream_.async_read_some(asio::buffer(drain_),
                            [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                              self->drained_ += n;
                              if (ec) return;
                              if (self->drained_ < (1u << 20)) return self->Drain();
                              self->Shutdown();
                            });
  }

  // Bytes asked of the socket per read while waiting for a request.
  static constexpr size_t kReadChunk = 8192;

  std::shared_ptr<HttpServer::State> state_;
  const ConnectionInfo info_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<RequestParser> parser_;
  std::optional<http::response<http::empty_body>> continue_;
  HttpResponse response_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  Phase phase_ = Phase::kHandshake;
  bool keep_alive_ = false;
  bool linger_ = false;
  bool first_request_ = true;
  // Asked to close (CloseIfIdle) while sending a response.
  bool close_after_write_ = false;
  unsigned version_ = 0;
  // The request being answered is HEAD: its response carries no body.
  bool head_ = false;
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
  beast::error_code peer_ec;
  const tcp::endpoint peer = socket.remote_endpoint(peer_ec);
  if (peer_ec) {  // already gone
    Accept();
    return;
  }
  ConnectionInfo info{CanonicalAddress(peer.address())};
  const AddressKey address = KeyOf(info.peer);
  const bool per_address_cap = !options.trusted_proxies.Contains(info.peer);
  std::shared_ptr<SessionBase> victim;
  bool admitted;
  bool address_cap = false;
  {
    absl::MutexLock lock(&mu);
    admitted = Reserve(address, per_address_cap, &victim, &address_cap);
  }
  if (victim) {
    metrics.IdleConnectionEvicted();
    victim->CloseIfIdle();
  }
  if (!admitted) {
    metrics.ConnectionRejected(address_cap);
    Reject(std::move(socket));
    Accept();
    return;
  }
  std::shared_ptr<SessionBase> session;
  std::function<void()> run;
  if (options.tls) {
    auto s = std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
        shared_from_this(), std::move(info), std::move(socket), *options.tls);
    session = s;
    run = [s] { s->Run(); };
  } else {
    auto s = std::make_shared<Session<beast::tcp_stream>>(shared_from_this(), std::move(info),
                                                          std::move(socket));
    session = s;
    run = [s] { s->Run(); };
  }
  {
    absl::MutexLock lock(&mu);
    sessions.emplace(session.get(), Entry{session, address, per_address_cap, false});
  }
  metrics.ConnectionOpened();
  run();
  Accept();
}

bool HttpServer::State::Reserve(const AddressKey& address, bool limit_address,
                                std::shared_ptr<SessionBase>* victim, bool* address_cap) {
  const auto from_address = per_address.find(address);
  const bool address_full = limit_address && from_address != per_address.end() &&
                            from_address->second >= options.max_connections_per_address;
  const bool server_full = counted >= options.max_connections;
  if (address_full || server_full) {
    // The longest-idle connection that frees the slot needed: one from the
    // same address when that address is at its cap, else any. A connection
    // already on its way out (no owner left) goes first.
    Entry* chosen = nullptr;
    std::shared_ptr<SessionBase> chosen_session;
    int64_t chosen_since = 0;
    for (auto& [raw, entry] : sessions) {
      if (entry.evicted || (address_full && entry.address != address)) continue;
      std::shared_ptr<SessionBase> live = entry.session.lock();
      const int64_t since = live ? raw->idle_since.load(std::memory_order_relaxed)
                                 : std::numeric_limits<int64_t>::min();
      if (since == SessionBase::kBusy) continue;
      if (chosen == nullptr || since < chosen_since) {
        chosen = &entry;
        chosen_session = std::move(live);
        chosen_since = since;
      }
    }
    if (chosen == nullptr) {
      *address_cap = address_full;
      return false;
    }
    Uncount(*chosen);
    chosen->evicted = true;
    *victim = std::move(chosen_session);
  }
  ++counted;
  if (limit_address) ++per_address[address];
  return true;
}

void HttpServer::State::Uncount(Entry& entry) {
  if (entry.evicted) return;
  --counted;
  if (!entry.per_address) return;
  const auto it = per_address.find(entry.address);
  if (it != per_address.end() && --it->second <= 0) per_address.erase(it);
}

void HttpServer::State::Reject(tcp::socket socket) {
  if (options.tls) return;  // no cheap way to answer before a handshake: just close
  struct Rejection {
    beast::tcp_stream stream;
    std::string text;
    std::array<char, 4096> drain;
    size_t drained = 0;
  };
  static constexpr absl::string_view kBody =
      "{\"error\":\"temporarily_unavailable\",\"error_description\":\"too many "
      "connections\"}";
  const std::string hsts =
      options.strict_transport_security.empty()
          ? ""
          : absl::StrCat("Strict-Transport-Security: ", options.strict_transport_security, "\r\n");
  auto rejection = std::make_shared<Rejection>(Rejection{
      beast::tcp_stream(std::move(socket)),
      absl::StrCat("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                   "Content-Length: ",
                   kBody.size(), "\r\nRetry-After: 1\r\nCache-Control: no-store\r\n", hsts,
                   "Connection: close\r\n\r\n", kBody),
      {},
      0});
  rejection->stream.expires_after(std::chrono::seconds(1));
  asio::async_write(
      rejection->stream, asio::buffer(rejection->text),
      [rejection, self = shared_from_this()](beast::error_code ec, size_t) {
        beast::error_code ignored;
        rejection->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
        // Read (and drop) what the client sent for a moment so that closing
        // does not reset the connection before it has read the 503. The
        // number of such connections is bounded like the open ones.
        if (ec || self->lingering_rejections.fetch_add(1) >= self->options.max_connections) {
          if (!ec) self->lingering_rejections.fetch_sub(1);
          return;
        }
        struct Drain {
          std::shared_ptr<Rejection> rejection;
          std::shared_ptr<State> state;
          void operator()(beast::error_code read_ec, size_t n) {
            rejection->drained += n;
            if (read_ec || rejection->drained >= (64u << 10)) {
              state->lingering_rejections.fetch_sub(1);
              return;
            }
            rejection->stream.async_read_some(asio::buffer(rejection->drain), std::move(*this));
          }
        };
        Drain{rejection, self}(beast::error_code(), 0);
      });
}

void HttpServer::State::Unregister(SessionBase* session) {
  metrics.ConnectionClosed();
  std::function<void()> drained;
  {
    absl::MutexLock lock(&mu);
    if (auto it = sessions.find(session); it != sessions.end()) {
      Uncount(it->second);
      sessions.erase(it);
    }
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
    for (auto& [raw, entry] : state_->sessions) {
      if (auto session = entry.session.lock()) open.push_back(std::move(session));
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
  for (const auto& session : open) session->CloseIfIdle();
}

}  // namespace oauthd::gateway
