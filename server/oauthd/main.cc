// oauthd: the OAuth 2.0 authorization server (gRPC).
//
// Wires configuration, keys, storage and the gRPC services together, serves
// until SIGTERM/SIGINT, then drains in-flight calls and exits 0.

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/impl/server_builder_option.h>
#include <grpcpp/impl/server_builder_plugin.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "absl/synchronization/mutex.h"
#include "server/common/env_flags.h"
#include "server/common/secret_strength.h"
#include "server/core/audit_log.h"
#include "server/core/client_admin.h"
#include "server/core/config.h"
#include "server/core/oauth_service.h"
#include "server/core/signing_key_ring.h"
#include "server/core/token_issuer.h"
#include "server/core/user_admin.h"
#include "server/grpc/admin_service.h"
#include "server/grpc/device_service.h"
#include "server/grpc/executor.h"
#include "server/grpc/health_monitor.h"
#include "server/grpc/authorization_service.h"
#include "server/grpc/tls_credentials.h"
#include "server/grpc/token_service.h"
#include "server/authz/policy.h"
#include "server/oauthd/key_file_watcher.h"
#include "server/oauthd/observability.h"
#include "server/jose/signing_key.h"
#include "server/oauthd/listen_checks.h"
#include "server/oauthd/http_frontend.h"
#include "server/gateway/http_listen.h"
#include "server/gateway/tls_context.h"
#include "storage/memory/memory_store.h"
#include "storage/redis/redis_store.h"
#include "storage/redis/revocation_view.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "gRPC listen address: host:port, or unix:/path/to/socket");
ABSL_FLAG(std::string, admin_listen, "127.0.0.1:50052",
          "Address of the admin API (oauth.admin.v1.AdminService), never served on --listen: "
          "loopback or unix:/path (plaintext), or any other address only with TLS "
          "(--tls_cert; with --tls_client_ca, mTLS)");
ABSL_FLAG(std::string, local_listen, "",
          "An extra plaintext listener for the public services, for a sidecar in the same "
          "pod (oauth-gateway): unix:/path or loopback only, e.g. unix:/run/oauthd/grpc.sock");
ABSL_FLAG(std::string, http_listen, "",
          "Also serve the OAuth HTTP endpoints of oauth-gateway (/token, /authorize, metadata, "
          "...) from oauthd itself on this host:port, through gRPC's in-process channel: no "
          "sidecar hop (oauth-gateway's defaults for its other settings; docs/operations.md). "
          "Empty: off");
ABSL_FLAG(int, http_threads, 0, "HTTP worker threads of --http_listen (0: one per core, at least 2)");
ABSL_FLAG(std::string, http_trusted_proxies, "",
          "As oauth-gateway's --trusted_proxies, for --http_listen: IP addresses and CIDR "
          "blocks whose X-Forwarded-For is believed");
ABSL_FLAG(std::string, http_csrf_key_file, "",
          "As oauth-gateway's --csrf_key_file, for --http_listen: HMAC key (>= 32 bytes) of "
          "the login form's CSRF tokens, shared by replicas. Empty: a random key per process");
ABSL_FLAG(std::string, http_tls_cert, "",
          "PEM certificate chain: serve --http_listen over HTTPS (with --http_tls_key)");
ABSL_FLAG(std::string, http_tls_key, "", "PEM private key of --http_tls_cert");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM certificate chain: serve gRPC over TLS (with --tls_key); re-read when the "
          "file changes");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM CA certificates: require a client certificate signed by one of them (mTLS)");
ABSL_FLAG(absl::Duration, tls_reload_interval, absl::Minutes(1),
          "How often the TLS files are checked for a new version");
ABSL_FLAG(bool, insecure_listen, false,
          "Allow plaintext gRPC on a --listen address that is not loopback or a unix "
          "socket (only behind something that encrypts, e.g. a service mesh)");
ABSL_FLAG(bool, reflection, false,
          "Serve gRPC server reflection (lists every service, Health included)");
ABSL_FLAG(std::string, store, "redis", "State backend: redis, or memory (one process, dev only)");
ABSL_FLAG(std::string, redis_url, "redis://127.0.0.1:6379",
          "Redis URL: redis://[:password@]host:port[/db]");
ABSL_FLAG(int, redis_pool_size, 16, "Redis connections per process");
ABSL_FLAG(absl::Duration, redis_timeout, absl::Milliseconds(500),
          "Redis connect and command timeout");
ABSL_FLAG(std::string, redis_sentinels, "",
          "Comma-separated Redis Sentinels host:port,...: find the primary of "
          "--redis_master_name through them and follow failovers (the host:port of "
          "--redis_url is then ignored; its password and db still apply)");
ABSL_FLAG(std::string, redis_master_name, "mymaster",
          "Name of the monitored primary in the Sentinels' configuration");
ABSL_FLAG(int, redis_wait_replicas, 0,
          "If > 0: security-relevant writes (code redemption, refresh rotation, "
          "revocations, client/user changes) wait for this many replicas "
          "(WAIT) and fail with UNAVAILABLE if they do not acknowledge in time");
ABSL_FLAG(absl::Duration, redis_wait_timeout, absl::Milliseconds(100),
          "How long --redis_wait_replicas waits (less than --redis_timeout)");
ABSL_FLAG(absl::Duration, redis_failover_wait, absl::Seconds(3),
          "During a Redis failover announced by the Sentinels (and, with "
          "--redis_wait_replicas, while replicas are missing or behind), how long a call "
          "waits for the new primary instead of failing (never past the RPC's deadline); "
          "0 fails at once");
ABSL_FLAG(std::string, issuer, "http://127.0.0.1:8080",
          "Issuer identifier (iss): the public URL of the gateway");
ABSL_FLAG(std::vector<std::string>, signing_keys, {},
          "Comma-separated PEM private key files; the first signs, all are published "
          "in the JWKS (rotation). Create one with: oauthctl keys generate --alg ES256 "
          "--out key.pem");
ABSL_FLAG(absl::Duration, key_publish_delay, absl::Minutes(5),
          "A signing key that appears in the key files while oauthd runs is published in "
          "the JWKS at once and signs only after this long, so resource servers have "
          "fetched it first (longer than their JWKS cache and the gateway's)");
ABSL_FLAG(absl::Duration, key_reload_interval, absl::Seconds(10),
          "How often the --signing_keys files are re-read (a replaced file, a Kubernetes "
          "Secret updated through its symlinks); a key removed from them stays published "
          "until every token it signed has expired");
ABSL_FLAG(std::string, admin_token_file, "",
          "File holding the bearer token the admin API requires (admin API disabled "
          "when empty)");
ABSL_FLAG(absl::Duration, access_token_ttl, absl::Minutes(10), "Access token lifetime");
ABSL_FLAG(absl::Duration, refresh_token_ttl, absl::Hours(24 * 14),
          "Refresh token lifetime (each rotation starts a new one)");
ABSL_FLAG(absl::Duration, refresh_family_ttl, absl::Hours(24 * 30),
          "Absolute lifetime of a refresh token family");
ABSL_FLAG(absl::Duration, refresh_retry_grace, absl::Seconds(10),
          "How long after a rotation the old refresh token may be presented again, while "
          "its successor was never used, and get the same successor (a client retrying a "
          "lost answer, e.g. during a Redis failover); 0: any second use is reuse");
ABSL_FLAG(absl::Duration, code_ttl, absl::Seconds(60),
          "Authorization code lifetime (at most 10m)");
ABSL_FLAG(absl::Duration, client_cache_ttl, absl::Seconds(5),
          "How long client records are cached in process (0 disables)");
ABSL_FLAG(absl::Duration, client_cache_stale_if_error, absl::Minutes(5),
          "While Redis is unreachable, keep using a cached client record this much past "
          "--client_cache_ttl (client_credentials keeps working); 0 fails instead");
ABSL_FLAG(absl::Duration, previous_secret_ttl, absl::Hours(1),
          "After RotateClientSecret (oauthctl client rotate-secret), how long the previous "
          "client secret keeps working unless the call names its own overlap (0: it stops "
          "at once)");
ABSL_FLAG(int, login_failure_limit, 5,
          "Password attempts per username from one source address within "
          "--login_failure_window (a success takes its attempt back)");
ABSL_FLAG(int, login_user_limit, 100,
          "Password attempts per username from all addresses within --login_failure_window");
ABSL_FLAG(int, login_address_limit, 100,
          "Password attempts from one source address (any username) within "
          "--login_failure_window");
ABSL_FLAG(absl::Duration, login_failure_window, absl::Minutes(15),
          "Window of the failed-login counters");
ABSL_FLAG(bool, password_grant, true,
          "Allow the resource owner password grant (confidential clients only); false "
          "refuses it and leaves it out of the metadata (RFC 9700 §2.4)");
ABSL_FLAG(absl::Duration, device_code_ttl, absl::Minutes(10),
          "Device authorization grant (RFC 8628): lifetime of a device code and its user "
          "code (expires_in)");
ABSL_FLAG(absl::Duration, device_poll_interval, absl::Seconds(5),
          "Device authorization grant: the polling interval handed to devices (whole "
          "seconds; slow_down adds 5 s per device)");
ABSL_FLAG(int, device_user_code_attempts, 20,
          "User codes one source address may try on the verification page within "
          "--login_failure_window");
ABSL_FLAG(std::string, device_verification_uri, "",
          "The verification page users are sent to (default: --issuer + /device)");
ABSL_FLAG(int, scrypt_log2_n, 15, "scrypt cost for new password hashes (log2 N)");
ABSL_FLAG(int, worker_threads, 16, "Threads running request work that may wait on Redis");
ABSL_FLAG(int, max_queued_requests, 2048,
          "Requests waiting for a worker beyond this are refused at once with "
          "RESOURCE_EXHAUSTED (the gateway answers 503 with Retry-After)");
ABSL_FLAG(int, login_threads, 0,
          "Threads checking passwords (password grant, login page): their own pool, so a "
          "burst of logins cannot delay other requests (0: half the cores, at least 1)");
ABSL_FLAG(int, max_queued_logins, 64,
          "Password checks waiting for a login thread beyond this are refused at once");
ABSL_FLAG(std::string, authz_policy, "",
          "YAML policy for the API-gateway check (envoy.service.auth.v3.Authorization/"
          "Check and the gateway's /authz): audience and scopes by host, path prefix "
          "and method (docs/api-gateways.md). Without it every check is denied");
ABSL_FLAG(absl::Duration, authz_clock_leeway, absl::Seconds(5),
          "Clock skew tolerated on exp, nbf and iat by the API-gateway check");
ABSL_FLAG(bool, revocation_view, true,
          "With Redis: keep the revocation state in memory, fed by Redis Pub/Sub and "
          "resynchronised on reconnect, so Check and Introspect of access tokens make no "
          "Redis round trip (docs/api-gateways.md)");
ABSL_FLAG(absl::Duration, authz_max_staleness, absl::Seconds(2),
          "With the revocation view: when nothing was heard from Redis for this long, "
          "Check and Introspect fail closed (503 / temporarily_unavailable)");
ABSL_FLAG(int, verified_token_cache, static_cast<int>(oauthd::kDefaultVerifiedTokenCacheCapacity),
          "Access tokens (~1 KiB each) whose signature verified, remembered so Check and "
          "Introspect of a token seen before skip the signature check; expiry and "
          "revocation are still checked every time. 0 turns it off");
ABSL_FLAG(std::string, audit_log, "stderr",
          "Where security events go, one JSON line each (logins, tokens issued, refreshed "
          "and revoked, refresh reuse, code replay, admin changes): stderr, a file to "
          "append to, or none");
ABSL_FLAG(std::string, metrics_listen, "",
          "Serve Prometheus metrics at http://ADDRESS/metrics, e.g. 127.0.0.1:9464 (off "
          "when empty). No authentication: keep it on loopback or a port only the scraper "
          "reaches");
ABSL_FLAG(std::string, access_log, "",
          "One JSON line per RPC (method, grant type, client id, outcome, latency, peer; "
          "never a secret or token): a file to append to, or - for standard output (off "
          "when empty)");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(10),
          "On SIGTERM, how long in-flight calls may take before they are cancelled");

namespace {

const std::vector<std::string> kFlagNames = {
    "listen", "local_listen", "admin_listen", "http_listen", "http_threads",
    "http_trusted_proxies", "http_csrf_key_file", "http_tls_cert", "http_tls_key", "tls_cert", "tls_key", "tls_client_ca", "tls_reload_interval",
    "insecure_listen", "reflection", "store", "redis_url", "redis_pool_size", "redis_timeout",
    "redis_sentinels", "redis_master_name", "redis_wait_replicas", "redis_wait_timeout",
    "redis_failover_wait",
    "issuer",
    "signing_keys", "admin_token_file", "access_token_ttl", "refresh_token_ttl",
    "refresh_family_ttl", "refresh_retry_grace", "code_ttl", "client_cache_ttl", "client_cache_stale_if_error",
    "login_failure_limit",
    "login_user_limit", "login_address_limit", "login_failure_window", "scrypt_log2_n", "worker_threads",
    "max_queued_requests", "login_threads", "max_queued_logins",
    "password_grant", "device_code_ttl", "device_poll_interval", "device_user_code_attempts",
    "device_verification_uri",
    "authz_policy", "authz_clock_leeway", "revocation_view", "authz_max_staleness",
    "verified_token_cache", "audit_log",
    "shutdown_grace", "key_publish_delay", "key_reload_interval", "previous_secret_ttl",
    "metrics_listen", "access_log"};

int g_stop_pipe[2] = {-1, -1};

void OnSignal(int) {
  // Only async-signal-safe work here: wake the watcher thread.
  char c = 1;
  (void)!write(g_stop_pipe[1], &c, 1);
}

[[noreturn]] void Fail(const std::string& message) {
  std::fprintf(stderr, "oauthd: %s\n", message.c_str());
  std::exit(1);
}

std::string ReadAdminToken(const std::string& path) {
  if (path.empty()) return "";
  std::ifstream in(path);
  if (!in) {
    Fail("cannot read --admin_token_file " + path +
         " (create one with: head -c 32 /dev/urandom | base64 > " + path + ")");
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string token(absl::StripAsciiWhitespace(buffer.str()));
  if (!oauthd::IsPrintableAscii(token)) {
    Fail("the admin token in " + path +
         " has a byte that is not printable ASCII, so no client could send it (raw random "
         "bytes? create one with: head -c 32 /dev/urandom | base64 > " + path + ")");
  }
  if (oauthd::EstimatedSecretBits(token) < oauthd::kMinAdminTokenBits) {
    Fail("the admin token in " + path +
         " is too weak: it needs at least 32 random bytes (create one with: "
         "head -c 32 /dev/urandom | base64 > " + path + ")");
  }
  return token;
}

oauthd::ServerConfig BuildConfig() {
  oauthd::ServerConfig c;
  c.issuer = absl::GetFlag(FLAGS_issuer);
  c.access_token_ttl = absl::GetFlag(FLAGS_access_token_ttl);
  c.refresh_token_ttl = absl::GetFlag(FLAGS_refresh_token_ttl);
  c.refresh_family_ttl = absl::GetFlag(FLAGS_refresh_family_ttl);
  c.refresh_retry_grace = absl::GetFlag(FLAGS_refresh_retry_grace);
  c.code_ttl = absl::GetFlag(FLAGS_code_ttl);
  c.client_cache_ttl = absl::GetFlag(FLAGS_client_cache_ttl);
  c.client_cache_stale_if_error = absl::GetFlag(FLAGS_client_cache_stale_if_error);
  c.previous_secret_ttl = absl::GetFlag(FLAGS_previous_secret_ttl);
  if (c.previous_secret_ttl < absl::ZeroDuration() || c.previous_secret_ttl > absl::Hours(24 * 366)) {
    Fail("--previous_secret_ttl must be between 0s and 366 days (8784h)");
  }
  c.user_failure_limit = absl::GetFlag(FLAGS_login_failure_limit);
  c.user_total_failure_limit = absl::GetFlag(FLAGS_login_user_limit);
  c.address_failure_limit = absl::GetFlag(FLAGS_login_address_limit);
  c.failure_window = absl::GetFlag(FLAGS_login_failure_window);
  c.password_hashing.log2_n = absl::GetFlag(FLAGS_scrypt_log2_n);
  c.password_grant = absl::GetFlag(FLAGS_password_grant);
  c.device_code_ttl = absl::GetFlag(FLAGS_device_code_ttl);
  c.device_poll_interval = absl::GetFlag(FLAGS_device_poll_interval);
  c.device_user_code_attempts = absl::GetFlag(FLAGS_device_user_code_attempts);
  c.device_verification_uri = absl::GetFlag(FLAGS_device_verification_uri);
  if (c.device_code_ttl < absl::Seconds(1) || c.device_code_ttl > absl::Hours(1)) {
    Fail("--device_code_ttl must be between 1s and 1h");
  }
  if (c.device_poll_interval < absl::Seconds(1) || c.device_poll_interval > absl::Minutes(1) ||
      c.device_poll_interval != absl::Seconds(absl::ToInt64Seconds(c.device_poll_interval))) {
    Fail("--device_poll_interval must be whole seconds between 1s and 1m");
  }
  if (c.device_user_code_attempts < 1) Fail("--device_user_code_attempts must be at least 1");
  if (c.issuer.empty()) Fail("--issuer must not be empty");
  if (c.access_token_ttl < absl::Seconds(1) || c.refresh_token_ttl < absl::Seconds(1) ||
      c.refresh_family_ttl < absl::Seconds(1)) {
    Fail("token lifetimes must be at least 1s");
  }
  if (c.client_cache_ttl < absl::ZeroDuration() ||
      c.client_cache_stale_if_error < absl::ZeroDuration()) {
    Fail("--client_cache_ttl and --client_cache_stale_if_error must not be negative");
  }
  if (c.refresh_retry_grace < absl::ZeroDuration() ||
      c.refresh_retry_grace > absl::Minutes(5) ||
      c.refresh_retry_grace != absl::Seconds(absl::ToInt64Seconds(c.refresh_retry_grace))) {
    Fail("--refresh_retry_grace must be whole seconds between 0s and 5m (e.g. 10s)");
  }
  if (c.code_ttl < absl::Seconds(1) || c.code_ttl > absl::Minutes(10)) {
    Fail("--code_ttl must be between 1s and 10m (RFC 6749 §4.1.2)");
  }
  if (c.password_hashing.log2_n < 10 || c.password_hashing.log2_n > 20) {
    Fail("--scrypt_log2_n must be between 10 and 20");
  }
  if (c.user_failure_limit < 1 || c.user_total_failure_limit < 1 ||
      c.address_failure_limit < 1) {
    Fail("--login_failure_limit, --login_user_limit and --login_address_limit must be at least 1");
  }
  return c;
}

// The --signing_keys files: their keys (the first signs) and their contents,
// which the KeyFileWatcher compares against to see a change.
struct LoadedKeys {
  std::vector<oauthd::LoadedSigningKey> keys;
  std::vector<std::string> contents;
  std::vector<std::shared_ptr<const oauthd::jose::SigningKey>> signing_keys() const {
    std::vector<std::shared_ptr<const oauthd::jose::SigningKey>> out;
    for (const auto& k : keys) out.push_back(k.key);
    return out;
  }
};

LoadedKeys LoadKeys() {
  const std::vector<std::string> files = absl::GetFlag(FLAGS_signing_keys);
  if (files.empty()) {
    Fail("no --signing_keys given (create one with: oauthctl keys generate --alg ES256 "
         "--out key.pem)");
  }
  LoadedKeys loaded;
  for (const std::string& file : files) {
    auto key = oauthd::jose::SigningKey::FromPemFile(file);
    if (!key.ok()) Fail(std::string(key.status().message()));
    // Read again for the watcher's comparison; a file replaced in between is
    // simply seen as changed at the first reload.
    absl::StatusOr<std::string> content = oauthd::ReadKeyFile(file);
    loaded.contents.push_back(content.ok() ? *std::move(content) : "");
    loaded.keys.push_back(
        {std::make_shared<const oauthd::jose::SigningKey>(*std::move(key)), file});
  }
  return loaded;
}

// The store, and with Redis the in-memory revocation view that Check and
// Introspect read (null with --revocation_view=false or the memory store,
// which are then read directly).
struct OpenedStore {
  std::unique_ptr<oauthd::storage::RevocationView> view;
  std::unique_ptr<oauthd::storage::Store> store;
};

OpenedStore OpenStore(std::shared_ptr<oauthd::storage::RedisMetrics> metrics) {
  const std::string kind = absl::GetFlag(FLAGS_store);
  if (kind == "memory") {
    std::fprintf(stderr,
                 "oauthd: WARNING: --store=memory keeps state in this process only; "
                 "for development, never for more than one replica\n");
    return {nullptr, oauthd::storage::NewMemoryStore()};
  }
  if (kind != "redis") Fail("--store must be redis or memory, not " + kind);
  auto options = oauthd::storage::ParseRedisUrl(absl::GetFlag(FLAGS_redis_url));
  if (!options.ok()) Fail("--redis_url: " + std::string(options.status().message()));
  options->pool_size = absl::GetFlag(FLAGS_redis_pool_size);
  options->connect_timeout = absl::GetFlag(FLAGS_redis_timeout);
  options->command_timeout = absl::GetFlag(FLAGS_redis_timeout);
  auto sentinels = oauthd::storage::ParseHostPortList(absl::GetFlag(FLAGS_redis_sentinels));
  if (!sentinels.ok()) Fail("--redis_sentinels: " + std::string(sentinels.status().message()));
  options->sentinels = *std::move(sentinels);
  options->master_name = absl::GetFlag(FLAGS_redis_master_name);
  options->wait_replicas = absl::GetFlag(FLAGS_redis_wait_replicas);
  options->wait_timeout = absl::GetFlag(FLAGS_redis_wait_timeout);
  options->failover_wait = absl::GetFlag(FLAGS_redis_failover_wait);
  options->metrics = std::move(metrics);
  if (options->wait_replicas > 0 && options->wait_timeout >= options->command_timeout) {
    Fail("--redis_wait_timeout must be shorter than --redis_timeout");
  }
  OpenedStore opened;
  if (absl::GetFlag(FLAGS_revocation_view)) {
    auto view = oauthd::storage::NewRedisRevocationView(*options,
                                                        absl::GetFlag(FLAGS_authz_max_staleness));
    if (!view.ok()) Fail("--authz_max_staleness: " + std::string(view.status().message()));
    opened.view = *std::move(view);
    oauthd::storage::RevocationView* local = opened.view.get();
    options->on_revocation = [local](const oauthd::storage::RevocationEvent& e) {
      local->Apply(e);
    };
  }
  auto store = oauthd::storage::NewRedisStore(*options);
  if (!store.ok()) Fail("redis: " + std::string(store.status().message()));
  opened.store = *std::move(store);
  if (opened.view && !opened.view->WaitUntilFresh(absl::Seconds(5))) {
    std::fprintf(stderr,
                 "oauthd: revocation view not synchronised with Redis yet; Check and "
                 "Introspect answer unavailable until it is\n");
  }
  return opened;
}

}  // namespace

std::unique_ptr<oauthd::AuditLog> OpenAuditLog() {
  const std::string where = absl::GetFlag(FLAGS_audit_log);
  if (where == "none") return std::make_unique<oauthd::NullAuditLog>();
  std::FILE* out = stderr;
  if (where != "stderr") {
    out = std::fopen(where.c_str(), "a");
    if (out == nullptr) Fail("cannot open --audit_log " + where + " for appending");
  }
  return std::make_unique<oauthd::JsonLinesAuditLog>(out, oauthd::SystemClock());
}

bool IsUnix(const std::string& address) {
  return absl::StartsWith(address, "unix:") || absl::StartsWith(address, "unix-abstract:");
}

// True for unix sockets and loopback hosts: addresses no other machine
// can reach.
bool IsLocal(const std::string& address) {
  if (IsUnix(address)) return true;
  std::string host = address.substr(0, address.rfind(':'));
  if (absl::StartsWith(host, "[") && absl::EndsWith(host, "]")) {
    host = host.substr(1, host.size() - 2);
  }
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

// Linking gRPC's reflection library registers its plugin with every
// ServerBuilder; this option takes it out again where reflection is off.
class WithoutReflection final : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    std::erase_if(*plugins, [](const std::unique_ptr<grpc::ServerBuilderPlugin>& p) {
      return p->name() == "proto_server_reflection";
    });
  }
};

struct Listeners {
  std::string public_address, admin_address;
  std::string local_address;  // "" when there is none
  std::shared_ptr<grpc::ServerCredentials> public_credentials, admin_credentials;
  std::string public_mode, admin_mode;  // for the start line: "TLS", "mTLS", "plaintext"
};

Listeners ChooseListeners() {
  Listeners l;
  l.public_address = absl::GetFlag(FLAGS_listen);
  l.admin_address = absl::GetFlag(FLAGS_admin_listen);
  l.local_address = absl::GetFlag(FLAGS_local_listen);
  if (l.admin_address.empty() || l.admin_address == l.public_address ||
      l.admin_address == l.local_address) {
    Fail("--admin_listen must be its own address (the admin API is never on --listen)");
  }
  if (!l.local_address.empty() && !IsLocal(l.local_address)) {
    Fail("--local_listen " + l.local_address + " must be unix:/path or a loopback address");
  }
  const std::string cert = absl::GetFlag(FLAGS_tls_cert), key = absl::GetFlag(FLAGS_tls_key);
  const std::string client_ca = absl::GetFlag(FLAGS_tls_client_ca);
  if (cert.empty() != key.empty()) Fail("--tls_cert and --tls_key go together");
  if (!client_ca.empty() && cert.empty()) Fail("--tls_client_ca needs --tls_cert and --tls_key");
  std::shared_ptr<grpc::ServerCredentials> tls;
  std::string tls_mode;
  if (!cert.empty()) {
    oauthd::grpc_api::TlsServerFiles files;
    files.cert_chain = cert;
    files.private_key = key;
    files.client_ca = client_ca;
    files.reload_interval = absl::GetFlag(FLAGS_tls_reload_interval);
    if (files.reload_interval < absl::Seconds(1)) Fail("--tls_reload_interval must be >= 1s");
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> creds =
        oauthd::grpc_api::TlsServerCredentialsFrom(files);
    if (!creds.ok()) Fail(std::string(creds.status().message()));
    tls = *std::move(creds);
    tls_mode = client_ca.empty() ? "TLS" : "mTLS";
  }
  if (tls) {
    l.public_credentials = tls;
    l.public_mode = tls_mode;
  } else if (IsLocal(l.public_address) || absl::GetFlag(FLAGS_insecure_listen)) {
    l.public_credentials = grpc::InsecureServerCredentials();
    l.public_mode = "plaintext";
  } else {
    Fail("--listen " + l.public_address +
         " is reachable from other machines: give it TLS (--tls_cert, --tls_key) or, "
         "behind something that encrypts, --insecure_listen");
  }
  if (IsLocal(l.admin_address)) {
    l.admin_credentials = grpc::InsecureServerCredentials();
    l.admin_mode = "plaintext, local only";
  } else if (tls) {
    l.admin_credentials = tls;
    l.admin_mode = tls_mode;
  } else {
    Fail("--admin_listen " + l.admin_address +
         " is reachable from other machines: use loopback or unix:/path, or give oauthd TLS");
  }
  return l;
}

// --http_*: the in-process HTTP endpoints, or nullopt when --http_listen is
// empty. Checked (address free, proxies, key file) before anything binds.
struct HttpSettings {
  oauthd::HttpFrontendOptions options;
  oauthd::gateway::CsrfProtector csrf;
};
std::optional<HttpSettings> HttpSettingsFromFlags(const std::string& issuer) {
  const std::string listen = absl::GetFlag(FLAGS_http_listen);
  if (listen.empty()) return std::nullopt;
  absl::StatusOr<boost::asio::ip::tcp::endpoint> endpoint =
      oauthd::gateway::ResolveHttpListen("--http_listen", listen, "127.0.0.1:8080");
  if (!endpoint.ok()) {
    std::fprintf(stderr, "oauthd: %s\n", std::string(endpoint.status().message()).c_str());
    std::exit(endpoint.status().code() == absl::StatusCode::kInvalidArgument
                  ? oauthd::kConfigErrorExit
                  : 1);
  }
  absl::StatusOr<oauthd::gateway::TrustedProxies> proxies =
      oauthd::gateway::TrustedProxies::Parse(absl::GetFlag(FLAGS_http_trusted_proxies));
  if (!proxies.ok()) Fail("--http_trusted_proxies: " + std::string(proxies.status().message()));
  // Login pages may stay open as long as oauth-gateway's default --csrf_ttl.
  absl::StatusOr<oauthd::gateway::CsrfProtector> csrf =
      oauthd::gateway::CsrfProtector::FromKeyFile(
          "--http_csrf_key_file", absl::GetFlag(FLAGS_http_csrf_key_file), absl::Minutes(30));
  if (!csrf.ok()) Fail(std::string(csrf.status().message()));
  int threads = absl::GetFlag(FLAGS_http_threads);
  if (threads < 0 || threads > 256) Fail("--http_threads must be 0-256");
  if (threads == 0) threads = std::max(2u, std::thread::hardware_concurrency());
  oauthd::HttpFrontendOptions options;
  const std::string cert = absl::GetFlag(FLAGS_http_tls_cert);
  const std::string key = absl::GetFlag(FLAGS_http_tls_key);
  if (cert.empty() != key.empty()) Fail("--http_tls_cert and --http_tls_key go together");
  if (!cert.empty()) {
    absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> tls =
        oauthd::gateway::MakeServerTlsContext(cert, key);
    if (!tls.ok()) Fail("--http_tls_cert: " + std::string(tls.status().message()));
    options.tls = *std::move(tls);
  }
  options.endpoint = *endpoint;
  options.threads = threads;
  options.issuer = issuer;
  options.trusted_proxies = *std::move(proxies);
  return HttpSettings{std::move(options), *std::move(csrf)};
}

int main(int argc, char** argv) {
  // Debian builds Abseil without NDEBUG, which leaves Mutex deadlock
  // detection on: every lock of ours and of gRPC's records lock order in one
  // process-wide graph behind a global spin lock.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  oauthd::ParseFlagsWithEnv(
      argc, argv, "OAUTHD_", kFlagNames,
      "OAuth 2.0 authorization server over gRPC.\n"
      "Every flag can also be set with an environment variable OAUTHD_<FLAG>, e.g.\n"
      "OAUTHD_REDIS_URL for --redis_url; the command line wins.",
      "server/oauthd/");
  oauthd::CheckListenFlags();

  const oauthd::ServerConfig config = BuildConfig();
  std::optional<HttpSettings> http = HttpSettingsFromFlags(config.issuer);
  const std::string admin_token = ReadAdminToken(absl::GetFlag(FLAGS_admin_token_file));
  const int verified_cache = absl::GetFlag(FLAGS_verified_token_cache);
  if (verified_cache < 0 || verified_cache > 10'000'000) {
    Fail("--verified_token_cache must be 0-10000000 (tokens)");
  }
  const absl::Duration key_publish_delay = absl::GetFlag(FLAGS_key_publish_delay);
  const absl::Duration key_reload_interval = absl::GetFlag(FLAGS_key_reload_interval);
  if (key_publish_delay < absl::ZeroDuration() || key_publish_delay > absl::Hours(24 * 7)) {
    Fail("--key_publish_delay must be between 0s and 168h");
  }
  if (key_reload_interval < absl::Seconds(1)) Fail("--key_reload_interval must be >= 1s");
  LoadedKeys keys = LoadKeys();
  oauthd::TokenIssuer issuer(config.issuer, keys.signing_keys(), oauthd::SystemClock(),
                             static_cast<size_t>(verified_cache));
  // A removed key stays until its last token expired, plus the publish delay
  // (at most a minute) for verifiers whose clocks run behind.
  oauthd::SigningKeyRing key_ring(issuer, keys.keys, key_publish_delay,
                                  std::min(key_publish_delay, absl::Minutes(1)),
                                  oauthd::SystemClock());
  oauthd::KeyFileWatcher key_watcher(absl::GetFlag(FLAGS_signing_keys), std::move(keys.contents),
                                     key_ring, key_reload_interval);
  absl::StatusOr<std::unique_ptr<oauthd::Observability>> observability =
      oauthd::Observability::Create(absl::GetFlag(FLAGS_metrics_listen),
                                    absl::GetFlag(FLAGS_access_log));
  if (!observability.ok()) {
    Fail("--access_log: " + std::string(observability.status().message()));
  }
  auto redis_metrics = std::make_shared<oauthd::storage::RedisMetrics>();
  OpenedStore opened = OpenStore(redis_metrics);
  std::unique_ptr<oauthd::storage::Store>& store = opened.store;
  oauthd::storage::RevocationChecker& revocation_checker =
      opened.view ? static_cast<oauthd::storage::RevocationChecker&>(*opened.view)
                  : store->revocations();

  std::unique_ptr<oauthd::AuditLog> audit = OpenAuditLog();
  oauthd::OAuthService service(config, *store, issuer, oauthd::SystemClock(),
                               &revocation_checker, audit.get());
  oauthd::ClientAdmin client_admin(config, *store, service.clients(),
                                   oauthd::SystemClock());
  oauthd::UserAdmin user_admin(config, *store, oauthd::SystemClock());

  const int workers = absl::GetFlag(FLAGS_worker_threads);
  if (workers < 1 || workers > 1024) Fail("--worker_threads must be 1-1024");
  const int max_queued = absl::GetFlag(FLAGS_max_queued_requests);
  const int max_queued_logins = absl::GetFlag(FLAGS_max_queued_logins);
  if (max_queued < 1 || max_queued_logins < 1) {
    Fail("--max_queued_requests and --max_queued_logins must be at least 1");
  }
  int login_threads = absl::GetFlag(FLAGS_login_threads);
  if (login_threads < 0 || login_threads > 256) Fail("--login_threads must be 0-256");
  if (login_threads == 0) {
    login_threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / 2);
  }
  auto executor = std::make_unique<oauthd::grpc_api::Executor>(workers, max_queued);
  auto login_executor =
      std::make_unique<oauthd::grpc_api::Executor>(login_threads, max_queued_logins);
  oauthd::grpc_api::TokenService token_service(service, *executor, opened.view.get(),
                                               login_executor.get());
  oauthd::grpc_api::DeviceService device_service(service, *executor, *login_executor);
  oauthd::grpc_api::AdminService admin_service(client_admin, user_admin, *executor,
                                               admin_token, *audit);
  admin_service.set_signing_keys(&key_ring);
  oauthd::MetricSources metric_sources;
  if (absl::GetFlag(FLAGS_store) == "redis") {
    metric_sources.redis = redis_metrics.get();
    metric_sources.redis_pool_size = absl::GetFlag(FLAGS_redis_pool_size);
  }
  metric_sources.revocation_view = opened.view.get();
  metric_sources.login_throttle = &service.login_throttle();
  metric_sources.workers = executor.get();
  metric_sources.login_workers = login_executor.get();
  metric_sources.keys = &key_ring;
  (*observability)->Register(metric_sources);
  std::optional<oauthd::authz::Policy> policy;
  if (const std::string file = absl::GetFlag(FLAGS_authz_policy); !file.empty()) {
    absl::StatusOr<oauthd::authz::Policy> loaded = oauthd::authz::LoadPolicy(file);
    if (!loaded.ok()) Fail("--authz_policy " + std::string(loaded.status().message()));
    policy = *std::move(loaded);
  }
  const absl::Duration leeway = absl::GetFlag(FLAGS_authz_clock_leeway);
  if (leeway < absl::ZeroDuration() || leeway > oauthd::kMaxClockLeeway) {
    Fail("--authz_clock_leeway must be between 0s and 5m");
  }
  oauthd::authz::Decider decider(issuer, policy ? &*policy : nullptr, revocation_checker,
                                 leeway);
  // With the in-memory view a decision never waits, so it is made on
  // gRPC's thread rather than handed to a worker.
  oauthd::grpc_api::AuthorizationService authorization_service(
      decider, opened.view ? nullptr : executor.get());

  // Bound before the gRPC ports: a taken metrics port stops the start before
  // anything answers.
  if (absl::Status started = (*observability)->Start(); !started.ok()) {
    Fail("--metrics_listen: " + std::string(started.message()));
  }
  if (const std::string metrics = (*observability)->metrics_address(); !metrics.empty()) {
    std::fprintf(stderr, "oauthd: metrics on http://%s/metrics\n", metrics.c_str());
  }
  grpc::EnableDefaultHealthCheckService(true);
  if (absl::GetFlag(FLAGS_reflection)) grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  const Listeners listeners = ChooseListeners();
  grpc::ServerBuilder builder;
  oauthd::ConfigureListenerOptions(builder);
  if (!absl::GetFlag(FLAGS_reflection)) builder.SetOption(std::make_unique<WithoutReflection>());
  int bound_port = 0;
  builder.AddListeningPort(listeners.public_address, listeners.public_credentials,
                           IsUnix(listeners.public_address) ? nullptr : &bound_port);
  // The sidecar's way in: same services, no TLS, unreachable from outside.
  if (!listeners.local_address.empty()) {
    builder.AddListeningPort(listeners.local_address, grpc::InsecureServerCredentials());
  }
  builder.RegisterService(&token_service);
  builder.RegisterService(&device_service);
  builder.RegisterService(&authorization_service);
  builder.experimental().SetInterceptorCreators((*observability)->Interceptors());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) {
    Fail("cannot listen on --listen=" + listeners.public_address +
         (listeners.local_address.empty() ? "" : " or --local_listen=" + listeners.local_address) +
         " (is the port in use?)");
  }
  // The admin API has a listener of its own, so the public port never
  // carries it (NetworkPolicies and TLS can differ).
  grpc::ServerBuilder admin_builder;
  oauthd::ConfigureListenerOptions(admin_builder);
  admin_builder.SetOption(std::make_unique<WithoutReflection>());
  admin_builder.AddListeningPort(listeners.admin_address, listeners.admin_credentials);
  admin_builder.RegisterService(&admin_service);
  admin_builder.experimental().SetInterceptorCreators((*observability)->Interceptors());
  std::unique_ptr<grpc::Server> admin_server = admin_builder.BuildAndStart();
  if (!admin_server) {
    Fail("cannot listen on --admin_listen=" + listeners.admin_address + " (is the port in use?)");
  }

  std::unique_ptr<oauthd::HttpFrontend> http_frontend;
  if (http) {
    absl::StatusOr<std::unique_ptr<oauthd::HttpFrontend>> started = oauthd::HttpFrontend::Start(
        http->options, std::move(http->csrf), *server);
    if (!started.ok()) Fail(std::string(started.status().message()));
    http_frontend = *std::move(started);
    const boost::asio::ip::tcp::endpoint bound = http_frontend->local_endpoint();
    std::fprintf(stderr, "oauthd: HTTP endpoints on %s://%s:%d (in-process, %d threads)\n",
                 http->options.tls ? "https" : "http", bound.address().to_string().c_str(),
                 bound.port(), http->options.threads);
  }

  oauthd::grpc_api::HealthMonitor health(*store, server->GetHealthCheckService(),
                                         absl::Seconds(1));
  std::fprintf(stderr,
               "oauthd: listening on %s (%s)%s%s, admin API on %s (%s) (issuer %s, %zu "
               "signing key(s), store %s)\n",
               listeners.public_address.c_str(), listeners.public_mode.c_str(),
               listeners.local_address.empty() ? "" : " and on ",
               listeners.local_address.c_str(),
               listeners.admin_address.c_str(), listeners.admin_mode.c_str(),
               config.issuer.c_str(), issuer.PublicKeys().size(),
               absl::GetFlag(FLAGS_store).c_str());

  if (pipe(g_stop_pipe) != 0) Fail("pipe() failed");
  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  char c;
  while (read(g_stop_pipe[0], &c, 1) < 0 && errno == EINTR) {
  }

  std::fprintf(stderr, "oauthd: shutting down, draining in-flight calls\n");
  health.Stop();
  const absl::Duration grace = absl::GetFlag(FLAGS_shutdown_grace);
  const auto deadline = std::chrono::system_clock::now() + absl::ToChronoMilliseconds(grace);
  if (http_frontend) {
    // Before the gRPC server: its requests in flight need the services.
    http_frontend->Shutdown(grace);
    // Kept until exit (see HttpFrontend): gRPC threads may still be
    // finishing its last responses.
    static oauthd::HttpFrontend* const kept_until_exit = http_frontend.release();
    (void)kept_until_exit;
  }
  server->Shutdown(deadline);
  admin_server->Shutdown(std::chrono::system_clock::now());
  server->Wait();
  admin_server->Wait();
  // Metrics read the executors: stop serving them first.
  (*observability).reset();
  executor.reset();  // runs whatever was queued, then joins
  login_executor.reset();
  std::fprintf(stderr, "oauthd: stopped\n");
  return 0;
}
