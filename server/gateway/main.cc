// oauth-gateway: standard OAuth 2.0 over HTTP in front of oauthd.
//
// Parses HTTP, calls one oauthd RPC per request over one shared gRPC channel,
// renders the RFC response. On SIGTERM/SIGINT: stop accepting, finish the
// requests in flight, exit 0.

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/system_error.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "server/common/env_flags.h"
#include "server/gateway/csrf.h"
#include "server/gateway/gateway.h"
#include "server/gateway/http_server.h"
#include "server/gateway/metrics.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:8080", "HTTP listen address host:port ([v6]:port)");
ABSL_FLAG(std::string, upstream, "127.0.0.1:50051",
          "oauthd gRPC address: host:port, or unix:/path/to/socket");
ABSL_FLAG(std::string, issuer, "http://127.0.0.1:8080",
          "Public base URL of this gateway = the issuer identifier; must equal oauthd's "
          "--issuer. Endpoint URLs in the metadata are derived from it");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate chain; serve HTTPS when set with --tls_key");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert");
ABSL_FLAG(int, threads, 0, "HTTP worker threads (0: one per core, at least 2)");
ABSL_FLAG(absl::Duration, rpc_timeout, absl::Seconds(3),
          "Deadline of each oauthd call; past it the client gets 503 temporarily_unavailable");
ABSL_FLAG(absl::Duration, health_timeout, absl::Seconds(1),
          "Deadline of the oauthd health check behind /healthz");
ABSL_FLAG(int, max_body_bytes, 64 * 1024, "Largest request body; larger ones get 413");
ABSL_FLAG(int, max_header_bytes, 16 * 1024, "Largest request head; larger ones get 431");
ABSL_FLAG(absl::Duration, idle_timeout, absl::Seconds(60),
          "How long a keep-alive connection may wait for its next request");
ABSL_FLAG(absl::Duration, request_timeout, absl::Seconds(10),
          "How long a client may take to send a whole request (and a TLS handshake)");
ABSL_FLAG(absl::Duration, write_timeout, absl::Seconds(10),
          "How long a client may take to read a response");
ABSL_FLAG(int, max_connections, 1024, "Open connections beyond this get 503 and are closed");
ABSL_FLAG(std::string, csrf_key_file, "",
          "File with the HMAC key (>= 32 bytes) for login-form CSRF tokens; replicas behind "
          "one load balancer must share it. Empty: a random key per process");
ABSL_FLAG(absl::Duration, csrf_ttl, absl::Minutes(30),
          "How long a login page may be left open before its form expires");
ABSL_FLAG(std::string, authz_proxy, "nginx",
          "Which proxy calls /authz, so which headers name the original request: "
          "nginx (X-Original-Method/-URI/-Host) or traefik (X-Forwarded-Method/-Uri/-Host). "
          "Only that family is read: the other could come from the client");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(10),
          "On SIGTERM, how long requests in flight may take before the process exits anyway");

namespace {

namespace asio = boost::asio;
using oauthd::gateway::CsrfProtector;

const std::vector<std::string> kFlagNames = {
    "listen",       "upstream",        "issuer",         "tls_cert",        "tls_key",
    "threads",      "rpc_timeout",     "health_timeout", "max_body_bytes",  "max_header_bytes",
    "idle_timeout", "request_timeout", "write_timeout",  "max_connections", "csrf_key_file",
    "csrf_ttl",     "authz_proxy",     "shutdown_grace"};

[[noreturn]] void Fail(const std::string& message) {
  std::fprintf(stderr, "oauth-gateway: %s\n", message.c_str());
  std::exit(1);
}

asio::ip::tcp::endpoint ParseListen(const std::string& listen) {
  absl::string_view host;
  absl::string_view port_text;
  absl::string_view rest = listen;
  if (absl::ConsumePrefix(&rest, "[")) {
    const size_t close = rest.find("]:");
    if (close == absl::string_view::npos) Fail("--listen must be host:port, not " + listen);
    host = rest.substr(0, close);
    port_text = rest.substr(close + 2);
  } else {
    const size_t colon = rest.rfind(':');
    if (colon == absl::string_view::npos) Fail("--listen must be host:port, not " + listen);
    host = rest.substr(0, colon);
    port_text = rest.substr(colon + 1);
  }
  int port = 0;
  if (!absl::SimpleAtoi(port_text, &port) || port < 0 || port > 65535) {
    Fail("--listen has an invalid port: " + listen);
  }
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code ec;
  const asio::ip::address address = asio::ip::make_address(std::string(host), ec);
  if (ec) Fail("--listen needs an IP address (or localhost), not " + std::string(host));
  return asio::ip::tcp::endpoint(address, static_cast<unsigned short>(port));
}

std::string NormalizeIssuer(std::string issuer) {
  while (absl::EndsWith(issuer, "/")) issuer.pop_back();
  if (!absl::StartsWith(issuer, "https://") && !absl::StartsWith(issuer, "http://")) {
    Fail("--issuer must be an http(s) URL, not " + issuer);
  }
  if (issuer.find_first_of("?#") != std::string::npos) {
    Fail("--issuer must not have a query or fragment (RFC 8414 §2)");
  }
  return issuer;
}

CsrfProtector MakeCsrfProtector() {
  const std::string path = absl::GetFlag(FLAGS_csrf_key_file);
  const absl::Duration ttl = absl::GetFlag(FLAGS_csrf_ttl);
  if (ttl < absl::Minutes(1)) Fail("--csrf_ttl must be at least 1m");
  if (path.empty()) return CsrfProtector::WithRandomKey(ttl);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    Fail("cannot read --csrf_key_file " + path +
         " (create one with: head -c 32 /dev/urandom | base64 > " + path + ")");
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string key(absl::StripAsciiWhitespace(buffer.str()));
  if (key.size() < 32) Fail("key in --csrf_key_file " + path + " is shorter than 32 bytes");
  return CsrfProtector(std::move(key), ttl);
}

std::shared_ptr<asio::ssl::context> MakeTlsContext() {
  const std::string cert = absl::GetFlag(FLAGS_tls_cert);
  const std::string key = absl::GetFlag(FLAGS_tls_key);
  if (cert.empty() && key.empty()) return nullptr;
  if (cert.empty() || key.empty()) Fail("--tls_cert and --tls_key go together");
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
  try {
    context->use_certificate_chain_file(cert);
  } catch (const boost::system::system_error& e) {
    Fail("cannot load --tls_cert " + cert + ": " + e.what());
  }
  try {
    context->use_private_key_file(key, asio::ssl::context::pem);
  } catch (const boost::system::system_error& e) {
    Fail("cannot load --tls_key " + key + ": " + e.what());
  }
  return context;
}

int PositiveFlag(int value, const char* name) {
  if (value < 1) Fail(absl::StrCat("--", name, " must be at least 1"));
  return value;
}

}  // namespace

int main(int argc, char** argv) {
  oauthd::ParseFlagsWithEnv(
      argc, argv, "OAUTH_GATEWAY_", kFlagNames,
      "OAuth 2.0 HTTP endpoints (RFC 6749, 7009, 7662, 8414) in front of "
      "oauthd.\nEvery flag can also be set with an environment variable "
      "OAUTH_GATEWAY_<FLAG>, e.g.\nOAUTH_GATEWAY_UPSTREAM for --upstream; the command line "
      "wins.",
      "server/gateway/");
  // A peer that vanishes mid-write must not kill the process.
  std::signal(SIGPIPE, SIG_IGN);

  oauthd::gateway::HttpServerOptions options;
  options.endpoint = ParseListen(absl::GetFlag(FLAGS_listen));
  options.max_body_bytes = PositiveFlag(absl::GetFlag(FLAGS_max_body_bytes), "max_body_bytes");
  options.max_header_bytes =
      PositiveFlag(absl::GetFlag(FLAGS_max_header_bytes), "max_header_bytes");
  options.idle_timeout = absl::GetFlag(FLAGS_idle_timeout);
  options.request_timeout = absl::GetFlag(FLAGS_request_timeout);
  options.write_timeout = absl::GetFlag(FLAGS_write_timeout);
  options.max_connections = PositiveFlag(absl::GetFlag(FLAGS_max_connections), "max_connections");
  options.tls = MakeTlsContext();
  for (absl::Duration d : {options.idle_timeout, options.request_timeout, options.write_timeout,
                           absl::GetFlag(FLAGS_rpc_timeout), absl::GetFlag(FLAGS_health_timeout)}) {
    if (d < absl::Milliseconds(10)) Fail("timeouts must be at least 10ms");
  }

  oauthd::gateway::GatewayConfig config;
  config.issuer = NormalizeIssuer(absl::GetFlag(FLAGS_issuer));
  config.rpc_timeout = absl::GetFlag(FLAGS_rpc_timeout);
  config.health_timeout = absl::GetFlag(FLAGS_health_timeout);
  config.secure_cookies = options.tls != nullptr || absl::StartsWith(config.issuer, "https://");
  const std::string authz_proxy = absl::GetFlag(FLAGS_authz_proxy);
  if (authz_proxy == "nginx") {
    config.authz_proxy = oauthd::gateway::AuthzProxy::kNginx;
  } else if (authz_proxy == "traefik") {
    config.authz_proxy = oauthd::gateway::AuthzProxy::kTraefik;
  } else {
    Fail("--authz_proxy must be nginx or traefik");
  }

  const std::string upstream = absl::GetFlag(FLAGS_upstream);
  if (upstream.empty()) Fail("--upstream must not be empty");
  grpc::ChannelArguments channel_args;
  // oauthd runs beside the gateway: reconnect quickly after it restarts
  // instead of backing off for up to two minutes. gRPC also uses the "min
  // reconnect backoff" as the timeout of one connection attempt (TCP plus
  // HTTP/2 SETTINGS): 2 s is ample on loopback and lets a hung oauthd show up
  // as UNAVAILABLE instead of every call waiting out its deadline.
  channel_args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  channel_args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 2000);
  channel_args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(upstream, grpc::InsecureChannelCredentials(), channel_args);

  oauthd::gateway::Metrics metrics;
  const CsrfProtector csrf = MakeCsrfProtector();
  oauthd::gateway::Gateway gateway(config, channel, metrics, csrf);

  int threads = absl::GetFlag(FLAGS_threads);
  if (threads <= 0) threads = std::max(2u, std::thread::hardware_concurrency());
  asio::io_context io(threads);
  oauthd::gateway::HttpServer server(
      io, options,
      [&gateway](oauthd::gateway::HttpRequest request, oauthd::gateway::Respond respond) {
        gateway.Handle(std::move(request), std::move(respond));
      },
      metrics);
  if (absl::Status status = server.Start(); !status.ok()) Fail(std::string(status.message()));

  asio::steady_timer grace(io);
  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    std::fprintf(stderr, "oauth-gateway: shutting down, finishing requests in flight\n");
    gateway.SetDraining();
    grace.expires_after(
        std::chrono::milliseconds(absl::ToInt64Milliseconds(absl::GetFlag(FLAGS_shutdown_grace))));
    grace.async_wait([&](const boost::system::error_code& wait_ec) {
      if (wait_ec) return;  // cancelled: drained in time
      std::fprintf(stderr, "oauth-gateway: --shutdown_grace expired, closing what is left\n");
      io.stop();
    });
    server.Shutdown([&] { grace.cancel(); });
  });

  const asio::ip::tcp::endpoint bound = server.local_endpoint();
  std::fprintf(stderr, "oauth-gateway: listening on %s%s:%d (issuer %s, upstream %s, %d threads)\n",
               options.tls ? "https://" : "http://", bound.address().to_string().c_str(),
               bound.port(), config.issuer.c_str(), upstream.c_str(), threads);

  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
  io.run();
  for (std::thread& t : pool) t.join();

  if (io.stopped() && grace.expiry() <= asio::steady_timer::clock_type::now()) {
    // Forced: RPC completions may still arrive for connections torn down
    // with the io_context; leave without running destructors.
    std::fflush(stderr);
    std::_Exit(0);
  }
  // Drained: every response has been written. Leave without running
  // destructors here too (a race found by ThreadSanitizer): the last session
  // can be released by a gRPC callback thread, which posts the drain notice
  // to `io` and then goes on destroying the session (its socket and timers
  // belong to `io`); main returns as soon as the notice has run and used to
  // destroy `io` under that thread (pthread_cond_destroy in ~io_context
  // against pthread_cond_signal in HttpServer::State::Unregister).
  std::fprintf(stderr, "oauth-gateway: stopped\n");
  std::fflush(stderr);
  std::_Exit(0);
}
