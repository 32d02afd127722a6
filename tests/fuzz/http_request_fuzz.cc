// The gateway's HTTP request handling: raw bytes from a client go through
// the Beast parser set up exactly as a connection sets it up
// (ConfigureRequestParser), and each complete request through Gateway's
// routing and translation, as HttpServer hands it over. oauthd is
// unreachable here (a channel to a socket that does not exist), so every
// RPC fails with UNAVAILABLE: what is fuzzed is what the gateway does before
// and after a call, not oauthd. Input: the bytes a client sends on one
// connection (up to four pipelined requests).

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <google/protobuf/stubs/logging.h>

#include <atomic>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <sstream>
#include <string>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "server/gateway/csrf.h"
#include "server/gateway/gateway.h"
#include "server/gateway/http_server.h"
#include "server/gateway/metrics.h"
#include "server/gateway/request_parser.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_input.h"

namespace oauthd::fuzz {
namespace {

namespace http = boost::beast::http;

// Protobuf reports, rather than refuses, a message it cannot encode
// faithfully (a string field that is not UTF-8, which oauthd's parser then
// refuses whole): from the gateway's requests to oauthd that is a finding.
void FailOnProtobufError(google::protobuf::LogLevel level, const char* filename, int line,
                         const std::string& message) {
  if (level < google::protobuf::LOGLEVEL_ERROR) return;
  std::fprintf(stderr, "protobuf %s:%d: %s\n", filename, line, message.c_str());
  FUZZ_CHECK(!"protobuf reported an error");
}

gateway::Gateway& FuzzGateway() {
  static gateway::Gateway* instance = [] {
    google::protobuf::SetLogHandler(&FailOnProtobufError);
    gateway::GatewayConfig config;
    config.issuer = "https://as.example/tenant";
    config.rpc_timeout = absl::Seconds(2);
    auto* metrics = new gateway::Metrics();
    auto* csrf = new gateway::CsrfProtector(std::string(32, 'k'), absl::Minutes(10));
    return new gateway::Gateway(
        config,
        grpc::CreateChannel("unix:/nonexistent/oauthd-fuzz.sock",
                            grpc::InsecureChannelCredentials()),
        *metrics, *csrf);
  }();
  return *instance;
}

// No CR, LF or other control character in a header: a response must not be
// splittable by what the client sent.
void CheckHeaderValue(absl::string_view value) {
  for (char c : value) {
    const unsigned char u = static_cast<unsigned char>(c);
    FUZZ_CHECK(u >= 0x20 && u != 0x7f);
  }
}

void CheckResponse(gateway::HttpResponse& response) {
  const unsigned status = response.result_int();
  FUZZ_CHECK(status >= 200 && status <= 599);
  for (const auto& field : response) {
    CheckHeaderValue(gateway::ToAbsl(field.name_string()));
    CheckHeaderValue(gateway::ToAbsl(field.value()));
  }
  // As HttpServer writes it.
  response.version(11);
  response.keep_alive(true);
  response.prepare_payload();
  std::ostringstream wire;
  wire << response;
  FUZZ_CHECK(!wire.str().empty());
}

// Parses one request from the front of `*input` and removes what it used.
// Returns false when no complete request is there (the server would answer
// 400/413/431 or close, without calling the gateway).
bool ParseRequest(absl::string_view* input, gateway::HttpRequest* request) {
  const gateway::HttpServerOptions limits;
  gateway::RequestParser parser;
  gateway::ConfigureRequestParser(parser, limits.max_body_bytes, limits.max_header_bytes);
  parser.eager(true);
  boost::beast::error_code ec;
  while (!parser.is_done()) {
    const size_t used = parser.put(boost::asio::buffer(input->data(), input->size()), ec);
    input->remove_prefix(used);
    if (ec == http::error::need_more) {
      if (used > 0 && !input->empty()) {
        ec = {};
        continue;
      }
      ec = {};
      parser.put_eof(ec);  // the client closed the connection here
      if (ec || !parser.is_done()) return false;
      break;
    }
    if (ec || used == 0) return false;
  }
  *request = parser.release();
  return true;
}

}  // namespace
}  // namespace oauthd::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace oauthd;
  using namespace oauthd::fuzz;
  absl::string_view input = AsView(data, size);
  for (int i = 0; i < 4 && !input.empty(); ++i) {
    gateway::HttpRequest request;
    if (!ParseRequest(&input, &request)) break;
    const bool keep_alive = request.keep_alive();
    auto calls = std::make_shared<std::atomic<int>>(0);
    auto done = std::make_shared<absl::Notification>();
    auto response = std::make_shared<gateway::HttpResponse>();
    // A loopback peer that varies with the input (the gateway's
    // per-connection information since the issue 10 changes).
    gateway::ConnectionInfo connection;
    connection.peer = boost::asio::ip::make_address_v4(
        static_cast<boost::asio::ip::address_v4::uint_type>(0x7f000001u + (size % 7)));
    FuzzGateway().Handle(std::move(request), connection,
                         [calls, done, response](gateway::HttpResponse r) {
      // The gateway answers every request exactly once.
      FUZZ_CHECK(calls->fetch_add(1) == 0);
      *response = std::move(r);
      done->Notify();
    });
    FUZZ_CHECK(done->WaitForNotificationWithTimeout(absl::Seconds(10)));
    CheckResponse(*response);
    if (!keep_alive) break;
  }
  return 0;
}
