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
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "absl/synchronization/mutex.h"
#include "client/lib/channel.h"
#include "server/common/env_flags.h"
#include "server/gateway/csrf.h"
#include "server/gateway/gateway.h"
#include "server/gateway/http_listen.h"
#include "server/gateway/http_server.h"
#include "server/gateway/issuer_check.h"
#include "server/gateway/metrics.h"
#include "server/gateway/source_address.h"
#include "server/gateway/tls_context.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:8080", "HTTP listen address host:port ([v6]:port)");
ABSL_FLAG(bool, upstream_tls, false,
          "Call oauthd over TLS (system CAs unless --upstream_tls_ca); needed when oauthd "
          "listens with --tls_cert (not on its --local_listen socket)");
ABSL_FLAG(std::string, upstream_tls_ca, "", "PEM CAs that sign oauthd's certificate");
ABSL_FLAG(std::string, upstream_tls_cert, "",
          "PEM client certificate for oauthd's mTLS (--tls_client_ca), with --upstream_tls_key");
ABSL_FLAG(std::string, upstream_tls_key, "", "PEM key of --upstream_tls_cert");
ABSL_FLAG(std::string, upstream_tls_server_name, "",
          "Expect this name in oauthd's certificate instead of --upstream's host");
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
          "How long a keep-alive connection may wait for its next request (idle connections "
          "are also closed, oldest first, when a connection cap is reached)");
ABSL_FLAG(absl::Duration, request_timeout, absl::Seconds(10),
          "How long a client may take to send a whole request, head and body, from its first "
          "byte (a new connection: from the moment it is ready); also bounds a TLS handshake");
ABSL_FLAG(absl::Duration, write_timeout, absl::Seconds(10),
          "How long a client may take to read a response");
ABSL_FLAG(int, max_connections, 1024,
          "Open connections at most; a new one beyond it closes the longest-idle connection, "
          "or gets 503 and is closed when none is idle");
ABSL_FLAG(int, max_connections_per_address, 64,
          "Open connections per source address (TCP peer) at most, with the same idle-first "
          "rule; peers in --trusted_proxies are exempt");
ABSL_FLAG(std::string, trusted_proxies, "",
          "Comma-separated IP addresses and CIDR blocks (IPv4, IPv6) of proxies in front of the "
          "gateway whose X-Forwarded-For is believed: the client address sent to oauthd is then "
          "the rightmost X-Forwarded-For entry that is not a trusted proxy. Empty: the TCP peer");
ABSL_FLAG(std::string, hsts, "max-age=31536000",
          "Strict-Transport-Security value sent on every response when the gateway serves "
          "HTTPS or --issuer is https (e.g. max-age=63072000; includeSubDomains). Empty: none");
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
    "listen", "upstream", "upstream_tls", "upstream_tls_ca", "upstream_tls_cert",
    "upstream_tls_key", "upstream_tls_server_name", "issuer", "tls_cert", "tls_key", "hsts", "threads", "rpc_timeout",
    "health_timeout", "max_body_bytes", "max_header_bytes", "idle_timeout", "request_timeout",
    "write_timeout", "max_connections", "max_connections_per_address", "trusted_proxies",
    "csrf_key_file", "csrf_ttl", "authz_proxy", "shutdown_grace"};

[[noreturn]] void Fail(const std::string& message) {
  std::fprintf(stderr, "oauth-gateway: %s\n", message.c_str());
  std::exit(1);
}

asio::ip::tcp::endpoint ParseListen(const std::string& listen) {
  absl::StatusOr<asio::ip::tcp::endpoint> endpoint =
      oauthd::gateway::ResolveHttpListen("--listen", listen, "127.0.0.1:8080");
  if (!endpoint.ok()) {
    std::fprintf(stderr, "oauth-gateway: %s\n", std::string(endpoint.status().message()).c_str());
    std::exit(endpoint.status().code() == absl::StatusCode::kInvalidArgument
                  ? oauthd::kConfigErrorExit
                  : 1);
  }
  return *endpoint;
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
  if (absl::GetFlag(FLAGS_csrf_ttl) < absl::Minutes(1)) Fail("--csrf_ttl must be at least 1m");
  absl::StatusOr<CsrfProtector> protector = CsrfProtector::FromKeyFile(
      "--csrf_key_file", absl::GetFlag(FLAGS_csrf_key_file), absl::GetFlag(FLAGS_csrf_ttl));
  if (!protector.ok()) Fail(std::string(protector.status().message()));
  return *std::move(protector);
}

std::shared_ptr<asio::ssl::context> MakeTlsContext() {
  const std::string cert = absl::GetFlag(FLAGS_tls_cert);
  const std::string key = absl::GetFlag(FLAGS_tls_key);
  if (cert.empty() && key.empty()) return nullptr;
  if (cert.empty() || key.empty()) Fail("--tls_cert and --tls_key go together");
  absl::StatusOr<std::shared_ptr<asio::ssl::context>> context =
      oauthd::gateway::MakeServerTlsContext(cert, key);
  if (!context.ok()) Fail(std::string(context.status().message()));
  return *std::move(context);
}

// --hsts: "max-age=<seconds>" with optional "; includeSubDomains" and
// "; preload" (RFC 6797 §6.1; directive names in any case), or empty.
std::string HstsValue() {
  const std::string value = absl::GetFlag(FLAGS_hsts);
  if (value.empty()) return value;
  int max_ages = 0;
  for (absl::string_view directive : absl::StrSplit(value, ';')) {
    directive = absl::StripAsciiWhitespace(directive);
    int64_t seconds = 0;
    if (absl::StartsWithIgnoreCase(directive, "max-age=")) {
      directive.remove_prefix(8);
      if (directive.empty() || !absl::ascii_isdigit(directive[0]) ||
          !absl::SimpleAtoi(directive, &seconds)) {
        Fail("--hsts has an invalid max-age: " + value);
      }
      ++max_ages;
    } else if (!absl::EqualsIgnoreCase(directive, "includeSubDomains") &&
               !absl::EqualsIgnoreCase(directive, "preload")) {
      Fail("--hsts must be max-age=<seconds> [; includeSubDomains] [; preload], not " + value);
    }
  }
  if (max_ages != 1) Fail("--hsts needs exactly one max-age=<seconds>, not " + value);
  return value;
}

int PositiveFlag(int value, const char* name) {
  if (value < 1) Fail(absl::StrCat("--", name, " must be at least 1"));
  return value;
}

}  // namespace

int main(int argc, char** argv) {
  // Debian builds Abseil without NDEBUG, which leaves Mutex deadlock
  // detection on: every lock of ours and of gRPC's records lock order in one
  // process-wide graph behind a global spin lock.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
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
  options.max_connections_per_address =
      PositiveFlag(absl::GetFlag(FLAGS_max_connections_per_address), "max_connections_per_address");
  absl::StatusOr<oauthd::gateway::TrustedProxies> trusted_proxies =
      oauthd::gateway::TrustedProxies::Parse(absl::GetFlag(FLAGS_trusted_proxies));
  if (!trusted_proxies.ok()) {
    Fail(absl::StrCat("--trusted_proxies: ", trusted_proxies.status().message()));
  }
  options.trusted_proxies = *trusted_proxies;
  options.tls = MakeTlsContext();
  for (absl::Duration d : {options.idle_timeout, options.request_timeout, options.write_timeout,
                           absl::GetFlag(FLAGS_rpc_timeout), absl::GetFlag(FLAGS_health_timeout)}) {
    if (d < absl::Milliseconds(10)) Fail("timeouts must be at least 10ms");
  }

  oauthd::gateway::GatewayConfig config;
  config.issuer = NormalizeIssuer(absl::GetFlag(FLAGS_issuer));
  config.rpc_timeout = absl::GetFlag(FLAGS_rpc_timeout);
  config.health_timeout = absl::GetFlag(FLAGS_health_timeout);
  // The browser reaches the gateway over https: directly, or through a
  // TLS-terminating proxy (an https issuer). Browsers ignore HSTS received
  // over plain http (RFC 6797 §8.1), so a loopback http issuer gets none.
  const bool https = options.tls != nullptr || absl::StartsWith(config.issuer, "https://");
  config.secure_cookies = https;
  config.trusted_proxies = *trusted_proxies;
  const std::string hsts = HstsValue();
  if (https) options.strict_transport_security = hsts;
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
  oauthd::client::ChannelOptions upstream_tls;
  upstream_tls.tls = absl::GetFlag(FLAGS_upstream_tls);
  upstream_tls.ca_file = absl::GetFlag(FLAGS_upstream_tls_ca);
  upstream_tls.cert_file = absl::GetFlag(FLAGS_upstream_tls_cert);
  upstream_tls.key_file = absl::GetFlag(FLAGS_upstream_tls_key);
  upstream_tls.server_name = absl::GetFlag(FLAGS_upstream_tls_server_name);
  absl::StatusOr<std::shared_ptr<grpc::Channel>> opened =
      oauthd::client::NewOauthdChannel(upstream, upstream_tls, channel_args);
  if (!opened.ok()) Fail("--upstream_tls*: " + std::string(opened.status().message()));
  std::shared_ptr<grpc::Channel> channel = *std::move(opened);

  // oauthd's issuer must be ours. Checked now if oauthd answers, else by the
  // first /healthz or metadata request; refused from then on while they differ.
  config.issuer_agreement =
      std::make_shared<oauthd::gateway::IssuerAgreement>(absl::GetFlag(FLAGS_issuer));
  if (absl::StatusOr<std::string> oauthd_issuer =
          oauthd::gateway::FetchOauthdIssuer(
              channel, std::min(config.rpc_timeout, absl::Seconds(2)));
      oauthd_issuer.ok()) {
    if (std::string mismatch = config.issuer_agreement->Observe(*oauthd_issuer);
        !mismatch.empty()) {
      Fail(mismatch);
    }
  } else {
    std::fprintf(stderr,
                 "oauth-gateway: oauthd at %s does not answer yet (%s); its issuer will be "
                 "compared with --issuer by /healthz\n",
                 upstream.c_str(), std::string(oauthd_issuer.status().message()).c_str());
  }

  oauthd::gateway::Metrics metrics;
  const CsrfProtector csrf = MakeCsrfProtector();
  oauthd::gateway::Gateway gateway(config, channel, metrics, csrf);

  int threads = absl::GetFlag(FLAGS_threads);
  if (threads <= 0) threads = std::max(2u, std::thread::hardware_concurrency());
  asio::io_context io(threads);
  oauthd::gateway::HttpServer server(
      io, options,
      [&gateway](oauthd::gateway::HttpRequest request,
                 const oauthd::gateway::ConnectionInfo& connection,
                 oauthd::gateway::Respond respond) {
        gateway.Handle(std::move(request), connection, std::move(respond));
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
