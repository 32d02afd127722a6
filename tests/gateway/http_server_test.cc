// The HTTP server on real sockets with a stand-in request handler (the
// handler is the seam to the gateway; oauthd is not involved here): limits,
// timeouts, keep-alive, pipelining and graceful shutdown.

#include "server/gateway/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace oauthd::gateway {
namespace {

namespace http = boost::beast::http;

// A blocking TCP client with a receive timeout.
class RawClient {
 public:
  // Connects to 127.0.0.1:port from `source` (any 127.0.0.0/8 address works
  // on Linux without configuration).
  explicit RawClient(int port, const char* source = nullptr) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (source != nullptr) {
      sockaddr_in local{};
      local.sin_family = AF_INET;
      inet_pton(AF_INET, source, &local.sin_addr);
      bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local));
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawClient() { close(fd_); }

  bool connected() const { return connected_; }

  bool Send(absl::string_view data) {
    return ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
  }

  // Reads one response (head + Content-Length body). "" on EOF/timeout first.
  std::string ReadResponse() {
    while (true) {
      const size_t head_end = buffer_.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        size_t length = 0;
        const std::string head = absl::AsciiStrToLower(buffer_.substr(0, head_end));
        const size_t cl = head.find("content-length: ");
        if (cl != std::string::npos) {
          absl::SimpleAtoi(head.substr(cl + 16, head.find("\r\n", cl) - cl - 16), &length);
        }
        if (buffer_.size() >= head_end + 4 + length) {
          std::string response = buffer_.substr(0, head_end + 4 + length);
          buffer_.erase(0, head_end + 4 + length);
          return response;
        }
      }
      if (!ReadMore()) return "";
    }
  }

  // True when the server closed the connection (EOF) within the timeout.
  bool WaitForClose() {
    while (ReadMore()) {
    }
    return eof_;
  }

 private:
  bool ReadMore() {
    char chunk[4096];
    const ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
    if (n == 0) eof_ = true;
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  std::string buffer_;
};

class HttpServerTest : public ::testing::Test {
 protected:
  void StartServer(HttpServerOptions options) {
    options.endpoint =
        boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0);
    server_ = std::make_unique<HttpServer>(
        io_, options,
        [this](HttpRequest request, const ConnectionInfo& connection, Respond respond) {
          Handle(std::move(request), connection, respond);
        },
        metrics_);
    ASSERT_TRUE(server_->Start().ok());
    port_ = server_->local_endpoint().port();
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }

  void TearDown() override {
    ReleaseHeld();
    if (server_ && !shut_down_) Shutdown();
    for (auto& t : threads_) t.join();
    for (auto& t : handler_threads_) t.join();
  }

  void Shutdown() {
    shut_down_ = true;
    server_->Shutdown([this] { drained_.Notify(); });
  }

  // /echo answers at once; /slow answers from another thread after 300 ms,
  // the way a gRPC completion would; /hold waits for ReleaseHeld(), so its
  // connection is busy for as long as a test needs. X-Peer names the
  // connection's peer.
  void Handle(HttpRequest request, const ConnectionInfo& connection, const Respond& respond) {
    HttpResponse response;
    response.result(http::status::ok);
    response.set("X-Peer", connection.peer.to_string());
    response.body() = absl::StrCat(std::string(request.method_string()), " ",
                                   std::string(request.target()), " ", request.body());
    if (absl::StartsWith(ToAbsl(request.target()), "/hold")) {
      absl::MutexLock lock(&mu_);
      held_.emplace_back(respond, std::move(response));
      ++requests_;
      return;
    }
    ++requests_;
    if (absl::StartsWith(ToAbsl(request.target()), "/slow")) {
      absl::MutexLock lock(&mu_);
      handler_threads_.emplace_back([respond, response]() mutable {
        absl::SleepFor(absl::Milliseconds(300));
        respond(std::move(response));
      });
      return;
    }
    respond(std::move(response));
  }

  // Answers every /hold request received so far.
  void ReleaseHeld() {
    std::vector<std::pair<Respond, HttpResponse>> held;
    {
      absl::MutexLock lock(&mu_);
      held.swap(held_);
    }
    for (auto& [respond, response] : held) respond(std::move(response));
  }

  // Waits until the handler has seen `n` requests (they are past reading).
  bool WaitForRequests(int n) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (requests_.load() < n && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
    return requests_.load() >= n;
  }

  boost::asio::io_context io_;
  Metrics metrics_;
  std::unique_ptr<HttpServer> server_;
  std::vector<std::thread> threads_;
  absl::Mutex mu_;
  std::vector<std::thread> handler_threads_;
  std::vector<std::pair<Respond, HttpResponse>> held_;
  std::atomic<int> requests_{0};
  absl::Notification drained_;
  bool shut_down_ = false;
  int port_ = 0;
};

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  StartServer({});
  RawClient client(port_);
  ASSERT_TRUE(client.connected());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"));
    const std::string response = client.ReadResponse();
    EXPECT_TRUE(absl::StartsWith(response, "HTTP/1.1 200 OK\r\n")) << response;
    EXPECT_TRUE(absl::EndsWith(response, "POST /echo hello")) << response;
    EXPECT_NE(response.find("Date: "), std::string::npos);
  }
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  StartServer({});
  RawClient client(port_);
  ASSERT_TRUE(client.Send(
      "GET /slow?1 HTTP/1.1\r\nHost: x\r\n\r\nGET /echo?2 HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_TRUE(absl::EndsWith(client.ReadResponse(), "GET /slow?1 "));
  EXPECT_TRUE(absl::EndsWith(client.ReadResponse(), "GET /echo?2 "));
}

TEST_F(HttpServerTest, ConnectionCloseIsHonoured) {
  StartServer({});
  RawClient client(port_);
  ASSERT_TRUE(client.Send("GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  const std::string response = client.ReadResponse();
  EXPECT_NE(response.find("Connection: close"), std::string::npos) << response;
  EXPECT_TRUE(client.WaitForClose());
}

TEST_F(HttpServerTest, OversizedBodyGets413BeforeItIsRead) {
  HttpServerOptions options;
  options.max_body_bytes = 1024;
  StartServer(options);
  RawClient client(port_);
  ASSERT_TRUE(client.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"));
  ASSERT_TRUE(client.Send(std::string(8192, 'a')));
  const std::string response = client.ReadResponse();
  EXPECT_TRUE(absl::StartsWith(response, "HTTP/1.1 413 ")) << response;
  EXPECT_NE(response.find("\"error\":\"invalid_request\""), std::string::npos);
  EXPECT_TRUE(client.WaitForClose());
  EXPECT_EQ(requests_.load(), 0);
}

TEST_F(HttpServerTest, OversizedChunkedBodyGets413) {
  HttpServerOptions options;
  options.max_body_bytes = 16;
  StartServer(options);
  RawClient client(port_);
  ASSERT_TRUE(
      client.Send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "20\r\n" +
                  std::string(32, 'b') + "\r\n0\r\n\r\n"));
  EXPECT_TRUE(absl::StartsWith(client.ReadResponse(), "HTTP/1.1 413 "));
}

TEST_F(HttpServerTest, OversizedHeadGets431) {
  HttpServerOptions options;
  options.max_header_bytes = 1024;
  StartServer(options);
  RawClient client(port_);
  ASSERT_TRUE(client.Send("GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4096, 'h') +
                          "\r\n\r\n"));
  EXPECT_TRUE(absl::StartsWith(client.ReadResponse(), "HTTP/1.1 431 "));
}

TEST_F(HttpServerTest, MalformedRequestGets400) {
  StartServer({});
  RawClient client(port_);
  ASSERT_TRUE(client.Send("GET /echo HTTP/1.1\r\nHost x\r\n\r\n"));
  EXPECT_TRUE(absl::StartsWith(client.ReadResponse(), "HTTP/1.1 400 "));
}

TEST_F(HttpServerTest, ExpectContinueIsAnswered) {
  StartServer({});
  RawClient client(port_);
  ASSERT_TRUE(client.Send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"));
  EXPECT_TRUE(absl::StartsWith(client.ReadResponse(), "HTTP/1.1 100 Continue"));
  ASSERT_TRUE(client.Send("abc"));
  EXPECT_TRUE(absl::EndsWith(client.ReadResponse(), "POST /echo abc"));
}

constexpr absl::string_view kGet = "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n";
constexpr absl::string_view kHold = "GET /hold HTTP/1.1\r\nHost: x\r\n\r\n";

TEST_F(HttpServerTest, IdleKeepAliveConnectionIsClosed) {
  HttpServerOptions options;
  options.idle_timeout = absl::Milliseconds(300);
  StartServer(options);
  RawClient client(port_);
  ASSERT_TRUE(client.Send(kGet));
  ASSERT_TRUE(absl::StartsWith(client.ReadResponse(), "HTTP/1.1 200"));
  EXPECT_TRUE(client.WaitForClose());  // gives up after 5 s without EOF
}

// A new connection gets request_timeout, not idle_timeout, for its first
// request (a connection that never speaks is cut like a slow one).
TEST_F(HttpServerTest, SilentNewConnectionIsCutAtRequestTimeout) {
  HttpServerOptions options;
  options.request_timeout = absl::Milliseconds(300);
  options.idle_timeout = absl::Seconds(60);
  StartServer(options);
  RawClient client(port_);
  EXPECT_TRUE(client.WaitForClose());  // gives up after 5 s without EOF
}

// The head-read timeout: a request head that trickles in is cut at
// request_timeout even though idle_timeout is much longer.
TEST_F(HttpServerTest, SlowHeadIsCutAtRequestTimeout) {
  HttpServerOptions options;
  options.request_timeout = absl::Milliseconds(300);
  options.idle_timeout = absl::Seconds(60);
  StartServer(options);
  RawClient client(port_);
  ASSERT_TRUE(client.Send("GET /echo HTTP/1.1\r\nHo"));
  EXPECT_TRUE(client.WaitForClose());
  EXPECT_EQ(requests_.load(), 0);
}

TEST_F(HttpServerTest, SlowHeadOnKeepAliveConnectionIsCutAtRequestTimeout) {
  HttpServerOptions options;
  options.request_timeout = absl::Milliseconds(300);
  options.idle_timeout = absl::Seconds(60);
  StartServer(options);
  RawClient client(port_);
  ASSERT_TRUE(client.Send(kGet));
  ASSERT_TRUE(absl::StartsWith(client.ReadResponse(), "HTTP/1.1 200"));
  ASSERT_TRUE(client.Send("GET /echo HTTP/1.1\r\nHo"));
  EXPECT_TRUE(client.WaitForClose());
  EXPECT_EQ(requests_.load(), 1);
}

TEST_F(HttpServerTest, SlowClientIsCutOff) {
  HttpServerOptions options;
  options.request_timeout = absl::Milliseconds(400);
  StartServer(options);
  RawClient client(port_);
  ASSERT_TRUE(client.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab"));
  const absl::Time start = absl::Now();
  EXPECT_TRUE(client.WaitForClose());
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  EXPECT_EQ(requests_.load(), 0);
}

TEST_F(HttpServerTest, ConnectionCapAnswers503WhenNoConnectionIsIdle) {
  HttpServerOptions options;
  options.max_connections = 1;
  StartServer(options);
  RawClient first(port_);
  ASSERT_TRUE(first.Send(kHold));
  ASSERT_TRUE(WaitForRequests(1));  // busy in the handler
  RawClient second(port_);
  const std::string response = second.ReadResponse();
  EXPECT_TRUE(absl::StartsWith(response, "HTTP/1.1 503 ")) << response;
  EXPECT_NE(response.find("Retry-After: 1\r\n"), std::string::npos) << response;
  EXPECT_NE(response.find("temporarily_unavailable"), std::string::npos);
  EXPECT_NE(metrics_.RenderPrometheus().find("oauth_gateway_rejected_connections_total 1"),
            std::string::npos);
  // The busy connection was not touched.
  ReleaseHeld();
  EXPECT_TRUE(absl::StartsWith(first.ReadResponse(), "HTTP/1.1 200"));
}

// Idle keep-alive connections do not hold the cap: the longest-idle one is
// closed to make room.
TEST_F(HttpServerTest, IdleConnectionsMakeRoomOldestFirst) {
  HttpServerOptions options;
  options.max_connections = 2;
  StartServer(options);
  RawClient oldest(port_);
  ASSERT_TRUE(oldest.Send(kGet));
  ASSERT_TRUE(absl::StartsWith(oldest.ReadResponse(), "HTTP/1.1 200"));
  RawClient newer(port_);
  ASSERT_TRUE(newer.Send(kGet));
  ASSERT_TRUE(absl::StartsWith(newer.ReadResponse(), "HTTP/1.1 200"));
  RawClient third(port_);
  ASSERT_TRUE(third.Send(kGet));
  const std::string response = third.ReadResponse();
  EXPECT_TRUE(absl::StartsWith(response, "HTTP/1.1 200")) << response;
  EXPECT_TRUE(oldest.WaitForClose());
  ASSERT_TRUE(newer.Send(kGet));
  EXPECT_TRUE(absl::StartsWith(newer.ReadResponse(), "HTTP/1.1 200"));
  const std::string metrics = metrics_.RenderPrometheus();
  EXPECT_NE(metrics.find("oauth_gateway_evicted_idle_connections_total 1\n"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("oauth_gateway_rejected_connections_total 0\n"), std::string::npos);
}

TEST_F(HttpServerTest, PerAddressCapAnswers503OnlyToThatAddress) {
  HttpServerOptions options;
  options.max_connections_per_address = 1;
  StartServer(options);
  RawClient busy(port_, "127.0.0.1");
  ASSERT_TRUE(busy.Send(kHold));
  ASSERT_TRUE(WaitForRequests(1));
  RawClient same(port_, "127.0.0.1");
  ASSERT_TRUE(same.connected());
  const std::string refused = same.ReadResponse();
  EXPECT_TRUE(absl::StartsWith(refused, "HTTP/1.1 503 ")) << refused;
  EXPECT_TRUE(same.WaitForClose());
  RawClient other(port_, "127.0.0.2");
  ASSERT_TRUE(other.Send(kGet));
  const std::string served = other.ReadResponse();
  EXPECT_TRUE(absl::StartsWith(served, "HTTP/1.1 200")) << served;
  EXPECT_NE(served.find("X-Peer: 127.0.0.2\r\n"), std::string::npos) << served;
  EXPECT_NE(
      metrics_.RenderPrometheus().find("oauth_gateway_rejected_connections_per_address_total 1\n"),
      std::string::npos);
}

TEST_F(HttpServerTest, PerAddressCapClosesThatAddresssIdleConnectionFirst) {
  HttpServerOptions options;
  options.max_connections_per_address = 1;
  StartServer(options);
  RawClient other(port_, "127.0.0.2");  // idle longest, but another address
  ASSERT_TRUE(other.Send(kGet));
  ASSERT_TRUE(absl::StartsWith(other.ReadResponse(), "HTTP/1.1 200"));
  RawClient idle(port_, "127.0.0.1");
  ASSERT_TRUE(idle.Send(kGet));
  ASSERT_TRUE(absl::StartsWith(idle.ReadResponse(), "HTTP/1.1 200"));
  RawClient next(port_, "127.0.0.1");
  ASSERT_TRUE(next.Send(kGet));
  EXPECT_TRUE(absl::StartsWith(next.ReadResponse(), "HTTP/1.1 200"));
  EXPECT_TRUE(idle.WaitForClose());
  ASSERT_TRUE(other.Send(kGet));
  EXPECT_TRUE(absl::StartsWith(other.ReadResponse(), "HTTP/1.1 200"));
}

TEST_F(HttpServerTest, TrustedProxyIsExemptFromThePerAddressCap) {
  HttpServerOptions options;
  options.max_connections_per_address = 1;
  options.trusted_proxies = *TrustedProxies::Parse("127.0.0.3");
  StartServer(options);
  std::vector<std::unique_ptr<RawClient>> busy;
  for (int i = 0; i < 3; ++i) {
    busy.push_back(std::make_unique<RawClient>(port_, "127.0.0.3"));
    ASSERT_TRUE(busy.back()->Send(kHold));
    ASSERT_TRUE(WaitForRequests(i + 1)) << "connection " << i << " was refused";
  }
  ReleaseHeld();
  for (auto& client : busy) {
    const std::string response = client->ReadResponse();
    EXPECT_TRUE(absl::StartsWith(response, "HTTP/1.1 200")) << response;
  }
}

TEST_F(HttpServerTest, StrictTransportSecurityOnEveryResponse) {
  HttpServerOptions options;
  options.strict_transport_security = "max-age=31536000";
  options.max_body_bytes = 16;
  options.max_connections = 1;
  StartServer(options);
  RawClient client(port_);
  ASSERT_TRUE(client.Send(kGet));
  const std::string ok = client.ReadResponse();
  EXPECT_NE(ok.find("\r\nStrict-Transport-Security: max-age=31536000\r\n"), std::string::npos)
      << ok;
  ASSERT_TRUE(client.Send(kHold));
  ASSERT_TRUE(WaitForRequests(2));  // now busy
  RawClient refused(port_);
  const std::string unavailable = refused.ReadResponse();
  EXPECT_TRUE(absl::StartsWith(unavailable, "HTTP/1.1 503 ")) << unavailable;
  EXPECT_NE(unavailable.find("\r\nStrict-Transport-Security: max-age=31536000\r\n"),
            std::string::npos)
      << unavailable;
  ReleaseHeld();
  ASSERT_TRUE(absl::StartsWith(client.ReadResponse(), "HTTP/1.1 200"));
  ASSERT_TRUE(client.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"));
  const std::string too_large = client.ReadResponse();
  EXPECT_TRUE(absl::StartsWith(too_large, "HTTP/1.1 413 ")) << too_large;
  EXPECT_NE(too_large.find("\r\nStrict-Transport-Security: max-age=31536000\r\n"),
            std::string::npos)
      << too_large;
}

TEST_F(HttpServerTest, ShutdownFinishesInFlightRequestsAndClosesIdleOnes) {
  StartServer({});
  RawClient idle(port_);
  ASSERT_TRUE(idle.Send("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_FALSE(idle.ReadResponse().empty());
  RawClient busy(port_);
  ASSERT_TRUE(busy.Send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"));
  // Shut down only once the slow request is in the handler.
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (requests_.load() < 2 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  ASSERT_EQ(requests_.load(), 2);
  Shutdown();
  EXPECT_TRUE(idle.WaitForClose());
  const std::string response = busy.ReadResponse();
  EXPECT_TRUE(absl::StartsWith(response, "HTTP/1.1 200")) << response;
  EXPECT_NE(response.find("Connection: close"), std::string::npos);
  EXPECT_TRUE(drained_.WaitForNotificationWithTimeout(absl::Seconds(5)));
  // No new connections once shut down.
  RawClient late(port_);
  EXPECT_TRUE(!late.connected() || late.WaitForClose());
}

}  // namespace
}  // namespace oauthd::gateway
