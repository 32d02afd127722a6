#ifndef OAUTHD_SERVER_GATEWAY_GATEWAY_H_
#define OAUTHD_SERVER_GATEWAY_GATEWAY_H_

#include <grpcpp/channel.h>

#include <atomic>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "envoy/service/auth/v3/external_auth.grpc.pb.h"
#include "oauth/v1/error.pb.h"
#include "oauth/v1/device.grpc.pb.h"
#include "oauth/v1/token.grpc.pb.h"
#include "server/gateway/csrf.h"
#include "server/gateway/form.h"
#include "server/gateway/http_types.h"
#include "server/gateway/issuer_check.h"
#include "server/gateway/metrics.h"
#include "server/gateway/source_address.h"

namespace oauthd::gateway {

// Which proxy calls /authz; it decides which headers name the original request.
enum class AuthzProxy {
  kNginx,    // X-Original-Method, X-Original-URI, X-Original-Host (auth_request)
  kTraefik,  // X-Forwarded-Method, X-Forwarded-Uri, X-Forwarded-Host (ForwardAuth)
};

// Settings of the translation layer (built once from flags, then immutable).
struct GatewayConfig {
  // Public base URL of the gateway (the issuer identifier), without a
  // trailing slash. Endpoint URLs in the metadata are <issuer>/token etc.
  // Must equal oauthd's --issuer.
  std::string issuer;
  // Deadline of every call to oauthd.
  absl::Duration rpc_timeout = absl::Seconds(3);
  // Deadline of the health check behind /healthz.
  absl::Duration health_timeout = absl::Seconds(1);
  // The public URL is https or the gateway serves TLS: cookies get the
  // __Host- prefix and Secure.
  bool secure_cookies = false;
  // Proxies whose X-Forwarded-For names the client (see ClientAddress).
  TrustedProxies trusted_proxies;
  // Only this proxy's header family is read by /authz: a proxy forwards the
  // client's own headers, so the other family could be chosen by the client
  // (e.g. X-Original-URI: /public through Traefik).
  AuthzProxy authz_proxy = AuthzProxy::kNginx;
  // oauthd's issuer compared with the gateway's by /healthz and the
  // metadata endpoint; while they differ, every endpoint but /healthz and
  // /metrics answers 503 temporarily_unavailable and /healthz says why.
  // Null: not compared.
  std::shared_ptr<IssuerAgreement> issuer_agreement;
};

// The HTTP side of OAuth: turns each request into exactly one oauthd RPC
// (oauth.v1.TokenService, or grpc.health.v1.Health for /healthz) and renders
// the RFC response. It holds no OAuth decisions: what it rejects by itself
// is malformed HTTP (bad form encoding, repeated parameters, more than one
// client authentication method); every other answer comes from oauthd.
//
// Routes: POST /token, POST /introspect, POST /revoke, GET|POST /authorize,
// POST /device_authorization and GET|POST /device (RFC 8628, on
// oauth.v1.DeviceService),
// GET /.well-known/oauth-authorization-server, GET
// /.well-known/openid-configuration, GET /jwks.json, GET /healthz,
// GET /metrics, and ANY /authz (nginx auth_request, Traefik ForwardAuth:
// envoy.service.auth.v3.Authorization/Check on oauthd, answered 200 with the
// identity headers or 401/403/503 with WWW-Authenticate).
//
// Every RPC carries the client's address (ClientAddress of the TCP peer and
// X-Forwarded-For, under --trusted_proxies) as gRPC metadata
// kSourceAddressMetadataKey, for oauthd's per-address limits and audit log.
//
// After a POST, redirects are 303 See Other (RFC 9700 §4.12: the browser
// must not re-post the credentials to the client), after a GET 302 Found.
//
// Thread-safe. Handle never blocks: the RPC completes on a gRPC thread that
// calls the responder.
class Gateway {
 public:
  // `channel` is the one shared channel to oauthd; `metrics` and `csrf` must
  // outlive the gateway and every call in flight.
  Gateway(GatewayConfig config, std::shared_ptr<grpc::Channel> channel, Metrics& metrics,
          const CsrfProtector& csrf);

  // Handles one request that arrived on `connection`; calls `respond` exactly
  // once, on this thread or on a gRPC thread.
  void Handle(HttpRequest request, const ConnectionInfo& connection, Respond respond);

  // From now on /healthz answers 503 so load balancers stop sending traffic
  // (called when shutdown begins).
  void SetDraining() { draining_.store(true, std::memory_order_relaxed); }

 private:
  struct Exchange;

  void HandleToken(std::shared_ptr<Exchange> exchange);
  void HandleIntrospect(std::shared_ptr<Exchange> exchange);
  void HandleRevoke(std::shared_ptr<Exchange> exchange);
  void HandleAuthorize(std::shared_ptr<Exchange> exchange);
  void HandleAuthorizeSubmission(std::shared_ptr<Exchange> exchange, const FormParameters& form);
  // Validates `target` (client_id, redirect_uri, state of a request with a
  // repeated parameter) with oauthd and redirects `error` to the redirect URI
  // oauthd trusts, or shows the error page when there is none.
  void RedirectRepeatedParameterError(std::shared_ptr<Exchange> exchange,
                                      oauth::v1::AuthorizeRequest target,
                                      oauth::v1::OAuthError error);
  void ShowConsentPage(std::shared_ptr<Exchange> exchange, const FormParameters& form);
  // CORS for /token and /revoke: asks oauthd whether the request's Origin
  // may read the answer (for the client the request names), then runs
  // `handler`; the answer adds Access-Control-Allow-Origin.
  void CheckCorsThen(std::shared_ptr<Exchange> exchange,
                     void (Gateway::*handler)(std::shared_ptr<Exchange>));
  // OPTIONS /token, /revoke: the preflight, allowed for an origin any client
  // lists (a preflight names no client).
  void HandleCorsPreflight(std::shared_ptr<Exchange> exchange);
  void HandleMetadata(std::shared_ptr<Exchange> exchange);
  void HandleJwks(std::shared_ptr<Exchange> exchange);
  void HandleHealth(std::shared_ptr<Exchange> exchange);
  void CheckIssuerForHealth(std::shared_ptr<Exchange> exchange);
  void HandleMetrics(std::shared_ptr<Exchange> exchange);
  void HandleAuthz(std::shared_ptr<Exchange> exchange);
  // RFC 8628 (device authorization grant).
  void HandleDeviceAuthorization(std::shared_ptr<Exchange> exchange);
  void HandleDevicePage(std::shared_ptr<Exchange> exchange);
  void HandleDeviceDecision(std::shared_ptr<Exchange> exchange, const FormParameters& form);

  // Invokes `start(async_stub, context, request, response, callback)` with a
  // deadline of --rpc_timeout and the source address of `exchange`, and calls
  // `done(status, response)` from the completion.
  template <class Response, class Request, class Start, class Done>
  void CallOAuthd(const Exchange& exchange, Request request, Start start, Done done);
  // The same on another service's async stub.
  template <class Response, class Async, class Request, class Start, class Done>
  void CallOAuthdOn(const Exchange& exchange, Async* async, Request request, Start start,
                    Done done);

  const GatewayConfig config_;
  std::unique_ptr<oauth::v1::TokenService::Stub> stub_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_stub_;
  std::unique_ptr<envoy::service::auth::v3::Authorization::Stub> authz_stub_;
  std::unique_ptr<oauth::v1::DeviceService::Stub> device_stub_;
  Metrics& metrics_;
  const CsrfProtector& csrf_;
  // Path part of the issuer URL ("" for a bare origin).
  const std::string issuer_path_;
  std::atomic<bool> draining_{false};
};

}  // namespace oauthd::gateway

#endif  // OAUTHD_SERVER_GATEWAY_GATEWAY_H_
