#include "server/gateway/gateway.h"

#include <grpcpp/client_context.h>

#include <chrono>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "server/gateway/authorize_form.h"
#include "server/gateway/client_auth.h"
#include "server/gateway/cors.h"
#include "server/gateway/device_page.h"
#include "server/gateway/html.h"
#include "server/gateway/json_writer.h"
#include "server/gateway/oauth_errors.h"
#include "server/gateway/redirect.h"
#include "server/gateway/token_request.h"

namespace oauthd::gateway {

namespace http = boost::beast::http;

namespace {

constexpr absl::string_view kCookieName = "oauth_gateway_csrf";
// With TLS the cookie gets the __Host- prefix: Secure, Path=/, no Domain, so
// a sibling subdomain cannot plant it.
constexpr absl::string_view kSecureCookieName = "__Host-oauth_gateway_csrf";

constexpr absl::string_view kWellKnownOAuth = "/.well-known/oauth-authorization-server";
constexpr absl::string_view kWellKnownOpenId = "/.well-known/openid-configuration";
constexpr absl::string_view kJwksPath = "/jwks.json";

absl::string_view Path(absl::string_view target) { return target.substr(0, target.find('?')); }

absl::string_view Query(absl::string_view target) {
  const size_t q = target.find('?');
  return q == absl::string_view::npos ? absl::string_view() : target.substr(q + 1);
}

bool IsFormContentType(const HttpRequest& request) {
  const auto it = request.find(http::field::content_type);
  if (it == request.end()) return false;
  absl::string_view media_type = ToAbsl(it->value());
  media_type = absl::StripAsciiWhitespace(media_type.substr(0, media_type.find(';')));
  return absl::EqualsIgnoreCase(media_type, "application/x-www-form-urlencoded");
}

HttpResponse NewResponse(http::status status) {
  HttpResponse response;
  response.result(status);
  return response;
}

HttpResponse JsonResponse(http::status status, std::string body) {
  HttpResponse response = NewResponse(status);
  response.set(http::field::content_type, "application/json");
  response.body() = std::move(body);
  return response;
}

// RFC 6749 §5.1: token responses must not be cached.
void SetNoStore(HttpResponse& response) {
  response.set(http::field::cache_control, "no-store");
  response.set(http::field::pragma, "no-cache");
}

HttpResponse OAuthErrorResponse(const oauth::v1::OAuthError& error,
                                bool client_used_authorization_header) {
  const HttpErrorMapping mapping = MapOAuthErrorToHttp(error.error(), ErrorAudience::kOAuthClient,
                                                       client_used_authorization_header);
  HttpResponse response =
      JsonResponse(static_cast<http::status>(mapping.status), OAuthErrorJson(error));
  SetNoStore(response);
  if (mapping.www_authenticate_basic) {
    response.set(http::field::www_authenticate, "Basic realm=\"oauthd\"");
  }
  if (mapping.status == 503) response.set(http::field::retry_after, "1");
  return response;
}

// Headers of every HTML page: no caching, no framing, nothing but our inline
// style, no referrer (the URL carries the authorization request).
HttpResponse HtmlResponse(http::status status, std::string html) {
  HttpResponse response = NewResponse(status);
  response.set(http::field::content_type, "text/html; charset=utf-8");
  response.set(http::field::cache_control, "no-store");
  response.set(http::field::pragma, "no-cache");
  response.set("X-Frame-Options", "DENY");
  response.set("Content-Security-Policy", PageContentSecurityPolicy());
  response.set("X-Content-Type-Options", "nosniff");
  response.set("Referrer-Policy", "no-referrer");
  response.body() = std::move(html);
  return response;
}

HttpResponse HtmlErrorResponse(const oauth::v1::OAuthError& error) {
  const HttpErrorMapping mapping =
      MapOAuthErrorToHttp(error.error(), ErrorAudience::kBrowser, false);
  HttpResponse response = HtmlResponse(
      static_cast<http::status>(mapping.status),
      RenderErrorPage("Authorization request failed", error.error(), error.error_description()));
  if (mapping.status == 503) response.set(http::field::retry_after, "1");
  return response;
}

// 303 after a POST (RFC 9700 §4.12: a 307 would make the browser post the
// login form, password included, to the client; 302 leaves the method to the
// browser), 302 after a GET.
HttpResponse RedirectResponse(http::verb request_method, const std::string& location) {
  HttpResponse response = NewResponse(request_method == http::verb::post ? http::status::see_other
                                                                         : http::status::found);
  response.set(http::field::location, location);
  response.set(http::field::cache_control, "no-store");
  response.set("Referrer-Policy", "no-referrer");
  return response;
}

HttpResponse TextResponse(http::status status, absl::string_view text) {
  HttpResponse response = NewResponse(status);
  response.set(http::field::content_type, "text/plain; charset=utf-8");
  response.set(http::field::cache_control, "no-store");
  response.body() = std::string(text);
  return response;
}

std::optional<absl::string_view> AuthorizationHeader(const HttpRequest& request) {
  const auto it = request.find(http::field::authorization);
  if (it == request.end()) return std::nullopt;
  return ToAbsl(it->value());
}

// The value of cookie `name` from the Cookie header(s), or "".
std::string CookieValue(const HttpRequest& request, absl::string_view name) {
  for (auto it = request.find(http::field::cookie);
       it != request.end() && it->name() == http::field::cookie; ++it) {
    for (absl::string_view part : absl::StrSplit(ToAbsl(it->value()), ';')) {
      part = absl::StripAsciiWhitespace(part);
      if (absl::ConsumePrefix(&part, name) && absl::ConsumePrefix(&part, "=")) {
        return std::string(part);
      }
    }
  }
  return "";
}

std::string TokenResponseJson(const oauth::v1::TokenResponse& token) {
  JsonObjectWriter json;
  json.String("access_token", token.access_token());
  json.String("token_type", token.token_type().empty() ? "Bearer" : token.token_type());
  if (token.expires_in() > 0) json.Int("expires_in", token.expires_in());
  json.StringIfNotEmpty("refresh_token", token.refresh_token());
  json.StringIfNotEmpty("scope", token.scope());
  return json.Finish();
}

std::string IntrospectionJson(const oauth::v1::IntrospectResponse& r) {
  JsonObjectWriter json;
  json.Bool("active", r.active());
  if (!r.active()) return json.Finish();  // RFC 7662 §2.2: nothing else
  json.StringIfNotEmpty("scope", r.scope());
  json.StringIfNotEmpty("client_id", r.client_id());
  json.StringIfNotEmpty("username", r.username());
  json.StringIfNotEmpty("token_type", r.token_type());
  if (r.exp() > 0) json.Int("exp", r.exp());
  if (r.iat() > 0) json.Int("iat", r.iat());
  if (r.nbf() > 0) json.Int("nbf", r.nbf());
  json.StringIfNotEmpty("sub", r.sub());
  // RFC 7662 §2.2 / RFC 7519 §4.1.3: a single audience may be a string.
  if (r.aud_size() == 1) {
    json.String("aud", r.aud(0));
  } else {
    json.StringArrayIfNotEmpty("aud", r.aud());
  }
  json.StringIfNotEmpty("iss", r.iss());
  json.StringIfNotEmpty("jti", r.jti());
  json.StringIfNotEmpty("grant_id", r.grant_id());
  return json.Finish();
}

std::string JwkJson(const oauth::v1::Jwk& key) {
  JsonObjectWriter json;
  json.StringIfNotEmpty("kty", key.kty());
  json.StringIfNotEmpty("kid", key.kid());
  json.StringIfNotEmpty("use", key.use());
  json.StringIfNotEmpty("alg", key.alg());
  json.StringIfNotEmpty("crv", key.crv());
  json.StringIfNotEmpty("x", key.x());
  json.StringIfNotEmpty("y", key.y());
  json.StringIfNotEmpty("n", key.n());
  json.StringIfNotEmpty("e", key.e());
  return json.Finish();
}

// The path part of the issuer URL ("" for "https://host"), for the RFC 8414
// §3.1 well-known location of an issuer with a path.
std::string IssuerPath(absl::string_view issuer) {
  const size_t scheme = issuer.find("://");
  if (scheme == absl::string_view::npos) return "";
  const size_t slash = issuer.find('/', scheme + 3);
  return slash == absl::string_view::npos ? "" : std::string(issuer.substr(slash));
}

}  // namespace

// One request in flight: what it needs until the response is handed back.
struct Gateway::Exchange {
  HttpRequest request;
  // The client's address as sent to oauthd (SourceAddressText).
  std::string source_address;
  Respond respond;
  Metrics* metrics = nullptr;
  absl::string_view endpoint = "other";
  std::string grant_type;
  absl::Time start;
  // CORS (/token, /revoke): the Origin a browser sent, and whether oauthd
  // lets that origin read this response.
  std::string origin;
  bool origin_allowed = false;

  void Finish(HttpResponse response, absl::string_view outcome) {
    if (origin_allowed) {
      AllowOrigin(response, origin);
    } else if (!origin.empty()) {
      response.set(http::field::vary, "Origin");
    }
    metrics->RecordRequest(endpoint, grant_type, outcome, absl::Now() - start);
    respond(std::move(response));
  }
  void FinishError(const oauth::v1::OAuthError& error, bool used_authorization_header) {
    Finish(OAuthErrorResponse(error, used_authorization_header), error.error());
  }
  void FinishErrorPage(const oauth::v1::OAuthError& error) {
    Finish(HtmlErrorResponse(error), error.error());
  }
};

Gateway::Gateway(GatewayConfig config, std::shared_ptr<grpc::Channel> channel, Metrics& metrics,
                 const CsrfProtector& csrf)
    : config_(std::move(config)),
      stub_(oauth::v1::TokenService::NewStub(channel)),
      health_stub_(grpc::health::v1::Health::NewStub(channel)),
      authz_stub_(envoy::service::auth::v3::Authorization::NewStub(channel)),
      device_stub_(oauth::v1::DeviceService::NewStub(channel)),
      metrics_(metrics),
      csrf_(csrf),
      issuer_path_(IssuerPath(config_.issuer)) {}

template <class Response, class Request, class Start, class Done>
void Gateway::CallOAuthd(const Exchange& exchange, Request request, Start start, Done done) {
  CallOAuthdOn<Response>(exchange, stub_->async(), std::move(request), std::move(start),
                         std::move(done));
}

template <class Response, class Async, class Request, class Start, class Done>
void Gateway::CallOAuthdOn(const Exchange& exchange, Async* async, Request request, Start start,
                           Done done) {
  struct Call {
    grpc::ClientContext context;
    Request request;
    Response response;
  };
  auto* call = new Call;
  call->request = std::move(request);
  call->context.set_deadline(std::chrono::system_clock::now() +
                             absl::ToChronoMilliseconds(config_.rpc_timeout));
  call->context.AddMetadata(kSourceAddressMetadataKey, exchange.source_address);
  start(async, &call->context, &call->request, &call->response,
        [call, done = std::move(done)](grpc::Status status) mutable {
          std::unique_ptr<Call> owned(call);
          done(status, owned->response);
        });
}

void Gateway::Handle(HttpRequest request, const ConnectionInfo& connection, Respond respond) {
  auto exchange = std::make_shared<Exchange>();
  exchange->request = std::move(request);
  std::vector<absl::string_view> forwarded_for;
  if (!config_.trusted_proxies.empty()) {
    const auto [begin, end] = exchange->request.equal_range("X-Forwarded-For");
    for (auto it = begin; it != end; ++it) forwarded_for.push_back(ToAbsl(it->value()));
  }
  exchange->source_address =
      SourceAddressText(ClientAddress(connection.peer, forwarded_for, config_.trusted_proxies));
  exchange->respond = std::move(respond);
  exchange->metrics = &metrics_;
  exchange->start = absl::Now();

  const http::verb method = exchange->request.method();
  const absl::string_view path = Path(ToAbsl(exchange->request.target()));

  struct Route {
    absl::string_view endpoint;  // metrics label
    bool get;
    bool post;
    void (Gateway::*handler)(std::shared_ptr<Exchange>);
  };
  if (config_.issuer_agreement && path != "/healthz" && path != "/metrics") {
    if (std::string mismatch = config_.issuer_agreement->Mismatch(); !mismatch.empty()) {
      exchange->FinishError(MakeOAuthError("temporarily_unavailable", mismatch), false);
      return;
    }
  }
  if (path == "/authz") {  // any method: it is the original request's
    exchange->endpoint = "authz";
    HandleAuthz(std::move(exchange));
    return;
  }
  std::optional<Route> route;
  if (path == "/token") {
    route = Route{"token", false, true, &Gateway::HandleToken};
  } else if (path == "/introspect") {
    route = Route{"introspect", false, true, &Gateway::HandleIntrospect};
  } else if (path == "/revoke") {
    route = Route{"revoke", false, true, &Gateway::HandleRevoke};
  } else if (path == "/authorize") {
    route = Route{"authorize", true, true, &Gateway::HandleAuthorize};
  } else if (path == "/device_authorization") {
    route = Route{"device_authorization", false, true, &Gateway::HandleDeviceAuthorization};
  } else if (path == "/device") {
    route = Route{"device", true, true, &Gateway::HandleDevicePage};
  } else if (path == kWellKnownOAuth || path == kWellKnownOpenId ||
             (!issuer_path_.empty() && (path == absl::StrCat(kWellKnownOAuth, issuer_path_) ||
                                        path == absl::StrCat(kWellKnownOpenId, issuer_path_)))) {
    route = Route{"metadata", true, false, &Gateway::HandleMetadata};
  } else if (path == kJwksPath) {
    route = Route{"jwks", true, false, &Gateway::HandleJwks};
  } else if (path == "/healthz") {
    route = Route{"healthz", true, false, &Gateway::HandleHealth};
  } else if (path == "/metrics") {
    route = Route{"metrics", true, false, &Gateway::HandleMetrics};
  }
  if (!route) {
    exchange->Finish(TextResponse(http::status::not_found, "not found\n"), "not_found");
    return;
  }
  exchange->endpoint = route->endpoint;
  const bool cors = route->endpoint == "token" || route->endpoint == "revoke";
  if (cors && method == http::verb::options) {
    HandleCorsPreflight(std::move(exchange));
    return;
  }
  if (cors && method == http::verb::post) {
    if (std::optional<std::string> origin = RequestOrigin(exchange->request)) {
      exchange->origin = *std::move(origin);
      if (CouldBeListedOrigin(exchange->origin)) {
        CheckCorsThen(std::move(exchange), route->handler);
        return;
      }
      // Not an origin any client lists: answered without CORS headers.
    }
  }
  // RFC 9110 §9.3.2: HEAD is answered wherever GET is, by the GET handler;
  // the HTTP server sends its headers without the body.
  const bool get_like = method == http::verb::get || method == http::verb::head;
  if ((get_like && route->get) || (method == http::verb::post && route->post)) {
    (this->*route->handler)(std::move(exchange));
    return;
  }
  HttpResponse response = TextResponse(http::status::method_not_allowed, "method not allowed\n");
  response.set(http::field::allow, route->get && route->post ? "GET, HEAD, POST"
                                   : route->get              ? "GET, HEAD"
                                   : cors                    ? "OPTIONS, POST"
                                                             : "POST");
  exchange->Finish(std::move(response), "method_not_allowed");
}

namespace {

// The first present header of `names`, "" if none.
std::string FirstHeader(const HttpRequest& request,
                        std::initializer_list<absl::string_view> names) {
  for (absl::string_view name : names) {
    auto it = request.find(boost::beast::string_view(name.data(), name.size()));
    if (it != request.end()) return std::string(it->value());
  }
  return "";
}

}  // namespace

// nginx auth_request and Traefik ForwardAuth: the proxy asks about the request
// it holds, naming it in X-Original-* (nginx) or X-Forwarded-* (Traefik)
// headers. The decision is oauthd's Check; this only translates. Proxies pass
// on only 2xx, 401 and 403 (nginx turns anything else into 500), so a 400
// decision (malformed token or path) is answered 403.
void Gateway::HandleAuthz(std::shared_ptr<Exchange> exchange) {
  const HttpRequest& r = exchange->request;
  envoy::service::auth::v3::CheckRequest check;
  auto* http = check.mutable_attributes()->mutable_request()->mutable_http();
  const bool nginx = config_.authz_proxy == AuthzProxy::kNginx;
  const std::string method = FirstHeader(r, {nginx ? "X-Original-Method" : "X-Forwarded-Method"});
  const std::string uri = FirstHeader(r, {nginx ? "X-Original-URI" : "X-Forwarded-Uri"});
  const std::string host = FirstHeader(r, {nginx ? "X-Original-Host" : "X-Forwarded-Host"});
  if (method.empty() || uri.empty() || host.empty()) {
    // The subrequest's own method, path and Host say nothing about the
    // request the proxy holds (deciding on them could allow a POST as a GET),
    // and a missing one could have come from the client.
    exchange->Finish(
        TextResponse(http::status::forbidden,
                     nginx ? "X-Original-Method, X-Original-URI and X-Original-Host are required\n"
                           : "X-Forwarded-Method, X-Forwarded-Uri and X-Forwarded-Host are "
                             "required\n"),
        "denied");
    return;
  }
  // A proxy forwards the client's bytes as they came, but a proto3 string must
  // be UTF-8: oauthd would refuse to parse the whole CheckRequest and the
  // client would get a 503 (nginx: 500) for a byte in its path. Such a value
  // goes byte for byte in header_map's `bytes raw_value` under Envoy's name,
  // where oauthd reads it and decides on it like on any other value.
  auto raw = [http](absl::string_view name, const std::string& value) {
    auto* header = http->mutable_header_map()->add_headers();
    header->set_key(std::string(name));
    header->set_raw_value(value);
  };
  auto set = [&raw](absl::string_view name, const std::string& value, std::string* field) {
    if (IsValidUtf8(value)) {
      *field = value;
    } else {
      raw(name, value);
    }
  };
  set(":method", method, http->mutable_method());
  set(":path", uri, http->mutable_path());
  set(":authority", host, http->mutable_host());
  if (r.count(http::field::authorization) > 1) {
    // Two credentials: refuse rather than pick one (RFC 6750 §3.1).
    HttpResponse response =
        TextResponse(http::status::forbidden, "more than one Authorization header\n");
    response.set(http::field::www_authenticate,
                 "Bearer error=\"invalid_request\", error_description=\"more than one "
                 "Authorization header\"");
    exchange->Finish(std::move(response), "denied");
    return;
  }
  const std::string authorization = FirstHeader(r, {"Authorization"});
  if (!authorization.empty()) {
    // Not into `headers` unless it is text: an entry there hides the raw one.
    if (IsValidUtf8(authorization)) {
      (*http->mutable_headers())["authorization"] = authorization;
    } else {
      raw("authorization", authorization);
    }
  }

  CallOAuthdOn<envoy::service::auth::v3::CheckResponse>(
      *exchange, authz_stub_->async(), std::move(check),
      [](auto* async, auto* context, auto* request, auto* response, auto callback) {
        async->Check(context, request, response, std::move(callback));
      },
      [exchange](const grpc::Status& status,
                 const envoy::service::auth::v3::CheckResponse& result) {
        if (!status.ok()) {
          HttpResponse response = TextResponse(http::status::service_unavailable,
                                               "authorization service unavailable\n");
          response.set(http::field::retry_after, "1");
          exchange->Finish(std::move(response), "unavailable");
          return;
        }
        if (result.has_ok_response()) {
          HttpResponse response = TextResponse(http::status::ok, "");
          for (const auto& h : result.ok_response().headers()) {
            response.set(h.header().key(), h.header().value());
          }
          exchange->Finish(std::move(response), "allowed");
          return;
        }
        const auto& denied = result.denied_response();
        int code = denied.status().code();
        if (code == 400 || code < 400 || code > 599) code = 403;
        HttpResponse response =
            TextResponse(static_cast<http::status>(code), denied.body());
        for (const auto& h : denied.headers()) {
          if (absl::EqualsIgnoreCase(h.header().key(), "www-authenticate")) {
            response.set(http::field::www_authenticate, h.header().value());
          }
        }
        exchange->Finish(std::move(response), "denied");
      });
}

void Gateway::HandleMetrics(std::shared_ptr<Exchange> exchange) {
  HttpResponse response = TextResponse(http::status::ok, metrics_.RenderPrometheus());
  response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
  exchange->Finish(std::move(response), "success");
}

namespace {

// Reads the form and the client authentication of a /token, /introspect or
// /revoke request. On failure answers the request and returns nullopt.
struct ClientRequest {
  FormParameters form;
  ClientAuthResult auth;
};

std::optional<ClientRequest> ParseClientRequest(
    const HttpRequest& request,
    const std::function<void(const oauth::v1::OAuthError&, bool)>& fail) {
  if (!IsFormContentType(request)) {
    fail(MakeOAuthError("invalid_request",
                        "the request body must be application/x-www-form-urlencoded"),
         false);
    return std::nullopt;
  }
  absl::StatusOr<FormParameters> form = FormParameters::Parse(request.body(), {"resource"});
  if (!form.ok()) {
    fail(ErrorForRejectedRequest(form.status()), false);
    return std::nullopt;
  }
  if (request.count(http::field::authorization) > 1) {
    fail(MakeOAuthError("invalid_request", "more than one Authorization header"), true);
    return std::nullopt;
  }
  const std::optional<absl::string_view> authorization = AuthorizationHeader(request);
  absl::StatusOr<ClientAuthResult> auth = ExtractClientAuthentication(authorization, *form);
  if (!auth.ok()) {
    fail(ErrorForRejectedRequest(auth.status()), authorization.has_value());
    return std::nullopt;
  }
  return ClientRequest{*std::move(form), *std::move(auth)};
}

}  // namespace

void Gateway::HandleToken(std::shared_ptr<Exchange> exchange) {
  std::optional<ClientRequest> parsed = ParseClientRequest(
      exchange->request, [&](const oauth::v1::OAuthError& error, bool used_header) {
        exchange->FinishError(error, used_header);
      });
  if (!parsed) return;
  exchange->grant_type = std::string(GrantTypeLabel(parsed->form.Get("grant_type")));
  const bool used_header = parsed->auth.used_authorization_header;
  auto finish = [exchange, used_header](const grpc::Status& status,
                                        const oauth::v1::TokenResponse& token) {
    if (!status.ok()) {
      exchange->FinishError(ErrorForFailedRpc(status), used_header);
      return;
    }
    HttpResponse response = JsonResponse(http::status::ok, TokenResponseJson(token));
    SetNoStore(response);
    exchange->Finish(std::move(response), "success");
  };
  TokenRpc rpc = BuildTokenRpc(parsed->form, parsed->auth.client);
  if (auto* refresh = std::get_if<oauth::v1::RefreshTokenRequest>(&rpc)) {
    CallOAuthd<oauth::v1::TokenResponse>(
        *exchange, std::move(*refresh),
        [](auto* async, auto* context, auto* request, auto* response, auto callback) {
          async->RefreshToken(context, request, response, std::move(callback));
        },
        std::move(finish));
  } else {
    CallOAuthd<oauth::v1::TokenResponse>(
        *exchange, std::move(std::get<oauth::v1::IssueTokenRequest>(rpc)),
        [](auto* async, auto* context, auto* request, auto* response, auto callback) {
          async->IssueToken(context, request, response, std::move(callback));
        },
        std::move(finish));
  }
}

void Gateway::HandleIntrospect(std::shared_ptr<Exchange> exchange) {
  std::optional<ClientRequest> parsed = ParseClientRequest(
      exchange->request, [&](const oauth::v1::OAuthError& error, bool used_header) {
        exchange->FinishError(error, used_header);
      });
  if (!parsed) return;
  oauth::v1::IntrospectRequest request;
  *request.mutable_client() = parsed->auth.client;
  request.set_token(parsed->form.Get("token"));
  request.set_token_type_hint(parsed->form.Get("token_type_hint"));
  const bool used_header = parsed->auth.used_authorization_header;
  CallOAuthd<oauth::v1::IntrospectResponse>(
      *exchange, std::move(request),
      [](auto* async, auto* context, auto* request, auto* response, auto callback) {
        async->Introspect(context, request, response, std::move(callback));
      },
      [exchange, used_header](const grpc::Status& status,
                              const oauth::v1::IntrospectResponse& result) {
        if (!status.ok()) {
          exchange->FinishError(ErrorForFailedRpc(status), used_header);
          return;
        }
        HttpResponse response = JsonResponse(http::status::ok, IntrospectionJson(result));
        SetNoStore(response);
        exchange->Finish(std::move(response), result.active() ? "active" : "inactive");
      });
}

void Gateway::HandleRevoke(std::shared_ptr<Exchange> exchange) {
  std::optional<ClientRequest> parsed = ParseClientRequest(
      exchange->request, [&](const oauth::v1::OAuthError& error, bool used_header) {
        exchange->FinishError(error, used_header);
      });
  if (!parsed) return;
  oauth::v1::RevokeRequest request;
  *request.mutable_client() = parsed->auth.client;
  request.set_token(parsed->form.Get("token"));
  request.set_token_type_hint(parsed->form.Get("token_type_hint"));
  const bool used_header = parsed->auth.used_authorization_header;
  CallOAuthd<oauth::v1::RevokeResponse>(
      *exchange, std::move(request),
      [](auto* async, auto* context, auto* request, auto* response, auto callback) {
        async->Revoke(context, request, response, std::move(callback));
      },
      [exchange, used_header](const grpc::Status& status, const oauth::v1::RevokeResponse&) {
        if (!status.ok()) {
          exchange->FinishError(ErrorForFailedRpc(status), used_header);
          return;
        }
        // RFC 7009 §2.2: 200, the content of the body is ignored by clients.
        HttpResponse response = NewResponse(http::status::ok);
        SetNoStore(response);
        exchange->Finish(std::move(response), "success");
      });
}

void Gateway::HandleAuthorize(std::shared_ptr<Exchange> exchange) {
  absl::string_view encoded;
  if (exchange->request.method() == http::verb::post) {
    if (!IsFormContentType(exchange->request)) {
      exchange->FinishErrorPage(MakeOAuthError(
          "invalid_request", "the request body must be application/x-www-form-urlencoded"));
      return;
    }
    encoded = exchange->request.body();
  } else {
    encoded = Query(ToAbsl(exchange->request.target()));
  }
  absl::StatusOr<FormParameters> form = FormParameters::Parse(encoded, {"resource"});
  if (!form.ok()) {
    const oauth::v1::OAuthError error = ErrorForRejectedRequest(form.status());
    // A repeated parameter is redirected (RFC 6749 §4.1.2.1) when client_id
    // and redirect_uri were each sent once and oauthd accepts them; a
    // malformed request, or one whose redirect_uri cannot be told, is not.
    std::optional<oauth::v1::AuthorizeRequest> target = RedirectTargetOfRepeatedRequest(encoded);
    if (!target) {
      exchange->FinishErrorPage(error);
      return;
    }
    RedirectRepeatedParameterError(std::move(exchange), *std::move(target), error);
    return;
  }
  if (exchange->request.method() == http::verb::post && IsLoginSubmission(*form)) {
    HandleAuthorizeSubmission(std::move(exchange), *form);
    return;
  }
  ShowConsentPage(std::move(exchange), *form);
}

namespace {

// The RFC 6749 §4.1.2.1 error redirect, or the error page when oauthd did not
// name a redirect URI it trusts.
HttpResponse AuthorizeErrorResponse(http::verb request_method, const oauth::v1::OAuthError& error,
                                    absl::string_view issuer) {
  if (error.redirect_uri().empty()) return HtmlErrorResponse(error);
  return RedirectResponse(
      request_method, AppendQueryParameters(error.redirect_uri(),
                                            {{"error", error.error()},
                                             {"error_description",
                                              SanitizeErrorDescription(error.error_description())},
                                             {"error_uri", error.error_uri()},
                                             {"state", error.state()},
                                             {"iss", std::string(issuer)}}));
}

std::string SetCookieValue(absl::string_view name, absl::string_view value, bool secure,
                           absl::Duration max_age) {
  return absl::StrCat(name, "=", value, "; Path=/; Max-Age=", absl::ToInt64Seconds(max_age),
                      "; HttpOnly; SameSite=Strict", secure ? "; Secure" : "");
}

}  // namespace

void Gateway::RedirectRepeatedParameterError(std::shared_ptr<Exchange> exchange,
                                             oauth::v1::AuthorizeRequest target,
                                             oauth::v1::OAuthError error) {
  CallOAuthd<oauth::v1::AuthorizeResponse>(
      *exchange, std::move(target),
      [](auto* async, auto* context, auto* request, auto* response, auto callback) {
        async->Authorize(context, request, response, std::move(callback));
      },
      [this, exchange, error = std::move(error)](const grpc::Status& status,
                                                 const oauth::v1::AuthorizeResponse&) mutable {
        // The request carries no response_type, so oauthd always refuses it;
        // only a refusal that names a redirect URI proves client_id and
        // redirect_uri valid. Anything else (unknown client, unregistered
        // redirect URI, oauthd unreachable) keeps the error page.
        const oauth::v1::OAuthError validated =
            status.ok() ? oauth::v1::OAuthError() : ErrorForFailedRpc(status);
        if (validated.redirect_uri().empty()) {
          exchange->FinishErrorPage(error);
          return;
        }
        error.set_redirect_uri(validated.redirect_uri());
        error.set_state(validated.state());
        exchange->Finish(AuthorizeErrorResponse(exchange->request.method(), error, config_.issuer),
                         error.error());
      });
}

void Gateway::ShowConsentPage(std::shared_ptr<Exchange> exchange, const FormParameters& form) {
  CsrfProtector::Fields request_fields = AuthorizationRequestFields(form);
  CallOAuthd<oauth::v1::AuthorizeResponse>(
      *exchange, AuthorizeRequestFromForm(form),
      [](auto* async, auto* context, auto* request, auto* response, auto callback) {
        async->Authorize(context, request, response, std::move(callback));
      },
      [this, exchange, request_fields = std::move(request_fields)](
          const grpc::Status& status, const oauth::v1::AuthorizeResponse& result) mutable {
        if (!status.ok()) {
          const oauth::v1::OAuthError error = ErrorForFailedRpc(status);
          exchange->Finish(
              AuthorizeErrorResponse(exchange->request.method(), error, config_.issuer),
              error.error());
          return;
        }
        const absl::string_view cookie_name =
            config_.secure_cookies ? kSecureCookieName : kCookieName;
        std::string nonce = CookieValue(exchange->request, cookie_name);
        const bool new_nonce = !CsrfProtector::IsWellFormedNonce(nonce);
        if (new_nonce) nonce = CsrfProtector::NewNonce();

        LoginPageModel page;
        page.client_id = result.client_id();
        page.client_name = result.client_name();
        page.scopes.assign(result.scopes().begin(), result.scopes().end());
        page.hidden_fields = std::move(request_fields);
        if (!result.client_name().empty()) {
          page.hidden_fields.emplace_back(kDisplayClientNameField, result.client_name());
        }
        const std::string scopes = absl::StrJoin(result.scopes(), " ");
        if (!scopes.empty()) page.hidden_fields.emplace_back(kDisplayScopesField, scopes);
        const std::string token = csrf_.Issue(nonce, page.hidden_fields, absl::Now());
        page.hidden_fields.emplace_back(kCsrfTokenField, token);
        page.form_action = absl::StrCat(issuer_path_, "/authorize");

        HttpResponse response = HtmlResponse(http::status::ok, RenderLoginPage(page));
        if (new_nonce) {
          response.set(
              http::field::set_cookie,
              SetCookieValue(cookie_name, nonce, config_.secure_cookies, csrf_.lifetime()));
        }
        exchange->Finish(std::move(response), "consent_page");
      });
}

void Gateway::HandleAuthorizeSubmission(std::shared_ptr<Exchange> exchange,
                                        const FormParameters& form) {
  const absl::string_view cookie_name = config_.secure_cookies ? kSecureCookieName : kCookieName;
  const std::string nonce = CookieValue(exchange->request, cookie_name);
  if (!csrf_.Verify(form.Get(kCsrfTokenField), nonce, BoundFields(form), absl::Now())) {
    exchange->Finish(
        HtmlResponse(http::status::forbidden,
                     RenderErrorPage("Request rejected", "",
                                     "This form expired or was not sent from this sign-in "
                                     "page. Go back to the application and start again.")),
        "csrf_rejected");
    return;
  }
  const std::string& action = form.Get(kActionField);
  if (action != "approve" && action != "deny") {
    exchange->FinishErrorPage(
        MakeOAuthError("invalid_request", "the form must be sent with Approve or Deny"));
    return;
  }
  oauth::v1::AuthorizeRequest request = AuthorizeRequestFromForm(form);
  const bool approve = action == "approve";
  if (approve) {
    request.mutable_login()->set_username(form.Get("username"));
    request.mutable_login()->set_password(form.Get("password"));
  }
  // What a re-rendered page needs if the login fails.
  LoginPageModel page;
  page.client_id = form.Get("client_id");
  page.client_name = form.Get(kDisplayClientNameField);
  for (absl::string_view scope :
       absl::StrSplit(form.Get(kDisplayScopesField), ' ', absl::SkipEmpty())) {
    page.scopes.emplace_back(scope);
  }
  page.hidden_fields = BoundFields(form);
  page.username = form.Get("username");
  page.form_action = absl::StrCat(issuer_path_, "/authorize");

  CallOAuthd<oauth::v1::AuthorizeResponse>(
      *exchange, std::move(request),
      [](auto* async, auto* context, auto* request, auto* response, auto callback) {
        async->Authorize(context, request, response, std::move(callback));
      },
      [this, exchange, approve, nonce, page = std::move(page)](
          const grpc::Status& status, const oauth::v1::AuthorizeResponse& result) mutable {
        const std::string iss = result.iss().empty() ? config_.issuer : result.iss();
        if (status.ok() && !approve) {
          // RFC 6749 §4.1.2.1: the resource owner denied the request.
          exchange->Finish(
              RedirectResponse(exchange->request.method(),
                               AppendQueryParameters(
                                   result.redirect_uri(),
                                   {{"error", "access_denied"},
                                    {"error_description", "the resource owner denied the request"},
                                    {"state", result.state()},
                                    {"iss", iss}})),
              "access_denied");
          return;
        }
        if (status.ok() && !result.code().empty()) {
          exchange->Finish(RedirectResponse(exchange->request.method(),
                                            AppendQueryParameters(result.redirect_uri(),
                                                                  {{"code", result.code()},
                                                                   {"state", result.state()},
                                                                   {"iss", iss}})),
                           "code_issued");
          return;
        }
        if (status.ok()) {
          // An approval that produced no code breaks the contract.
          exchange->FinishErrorPage(
              MakeOAuthError("server_error", "the authorization server issued no code"));
          return;
        }
        const oauth::v1::OAuthError error = ErrorForFailedRpc(status);
        if (error.redirect_uri().empty() && error.error() == "invalid_grant") {
          // Wrong credentials or a locked account: ask again.
          page.message = error.error_description().empty()
                             ? "The username or password is not correct."
                             : error.error_description();
          const std::string token = csrf_.Issue(nonce, page.hidden_fields, absl::Now());
          page.hidden_fields.emplace_back(kCsrfTokenField, token);
          exchange->Finish(HtmlResponse(http::status::ok, RenderLoginPage(page)), "login_failed");
          return;
        }
        exchange->Finish(AuthorizeErrorResponse(exchange->request.method(), error, config_.issuer),
                         error.error());
      });
}

void Gateway::HandleMetadata(std::shared_ptr<Exchange> exchange) {
  CallOAuthd<oauth::v1::ServerMetadata>(
      *exchange, oauth::v1::GetServerMetadataRequest(),
      [](auto* async, auto* context, auto* request, auto* response, auto callback) {
        async->GetServerMetadata(context, request, response, std::move(callback));
      },
      [this, exchange](const grpc::Status& status, const oauth::v1::ServerMetadata& m) {
        if (!status.ok()) {
          exchange->FinishError(ErrorForFailedRpc(status), false);
          return;
        }
        if (config_.issuer_agreement) {
          if (std::string mismatch = config_.issuer_agreement->Observe(m.issuer());
              !mismatch.empty()) {
            exchange->FinishError(MakeOAuthError("temporarily_unavailable", mismatch), false);
            return;
          }
        }
        const std::string& base = config_.issuer;
        JsonObjectWriter json;
        json.String("issuer", m.issuer().empty() ? base : m.issuer());
        json.String("authorization_endpoint", absl::StrCat(base, "/authorize"));
        json.String("token_endpoint", absl::StrCat(base, "/token"));
        json.String("introspection_endpoint", absl::StrCat(base, "/introspect"));
        json.String("revocation_endpoint", absl::StrCat(base, "/revoke"));
        json.String("device_authorization_endpoint", absl::StrCat(base, "/device_authorization"));
        json.String("jwks_uri", absl::StrCat(base, kJwksPath));
        json.StringArrayIfNotEmpty("grant_types_supported", m.grant_types_supported());
        json.StringArrayIfNotEmpty("response_types_supported", m.response_types_supported());
        json.StringArrayIfNotEmpty("token_endpoint_auth_methods_supported",
                                   m.token_endpoint_auth_methods_supported());
        json.StringArrayIfNotEmpty("token_endpoint_auth_signing_alg_values_supported",
                                   m.token_endpoint_auth_signing_alg_values_supported());
        json.StringArrayIfNotEmpty("introspection_endpoint_auth_methods_supported",
                                   m.introspection_endpoint_auth_methods_supported());
        json.StringArrayIfNotEmpty("revocation_endpoint_auth_methods_supported",
                                   m.revocation_endpoint_auth_methods_supported());
        json.StringArrayIfNotEmpty(
            "introspection_endpoint_auth_signing_alg_values_supported",
            m.introspection_endpoint_auth_signing_alg_values_supported());
        json.StringArrayIfNotEmpty("revocation_endpoint_auth_signing_alg_values_supported",
                                   m.revocation_endpoint_auth_signing_alg_values_supported());
        json.StringArrayIfNotEmpty("code_challenge_methods_supported",
                                   m.code_challenge_methods_supported());
        json.StringArrayIfNotEmpty("scopes_supported", m.scopes_supported());
        if (m.authorization_response_iss_parameter_supported()) {
          json.Bool("authorization_response_iss_parameter_supported", true);
        }
        HttpResponse response = JsonResponse(http::status::ok, json.Finish());
        response.set(http::field::cache_control, "public, max-age=60");
        // Public and credential-free: any web page may read it.
        AllowAnyOrigin(response);
        exchange->Finish(std::move(response), "success");
      });
}

void Gateway::HandleJwks(std::shared_ptr<Exchange> exchange) {
  CallOAuthd<oauth::v1::GetJwksResponse>(
      *exchange, oauth::v1::GetJwksRequest(),
      [](auto* async, auto* context, auto* request, auto* response, auto callback) {
        async->GetJwks(context, request, response, std::move(callback));
      },
      [exchange](const grpc::Status& status, const oauth::v1::GetJwksResponse& jwks) {
        if (!status.ok()) {
          exchange->FinishError(ErrorForFailedRpc(status), false);
          return;
        }
        std::string keys = "[";
        for (int i = 0; i < jwks.keys_size(); ++i) {
          if (i > 0) keys.push_back(',');
          keys += JwkJson(jwks.keys(i));
        }
        keys.push_back(']');
        JsonObjectWriter json;
        json.Raw("keys", keys);
        HttpResponse response = JsonResponse(http::status::ok, json.Finish());
        // Short, so a rotated key shows up quickly.
        response.set(http::field::cache_control, "public, max-age=60");
        AllowAnyOrigin(response);
        exchange->Finish(std::move(response), "success");
      });
}

namespace {

// The client a /token or /revoke request names, for its CORS answer:
// nullopt when the request does not parse (its error response may then be
// read by any origin some client lists), "" when it names none.
std::optional<std::string> ClientIdForCors(const HttpRequest& request) {
  if (!IsFormContentType(request)) return std::nullopt;
  absl::StatusOr<FormParameters> form = FormParameters::Parse(request.body(), {"resource"});
  if (!form.ok() || request.count(http::field::authorization) > 1) return std::nullopt;
  absl::StatusOr<ClientAuthResult> auth =
      ExtractClientAuthentication(AuthorizationHeader(request), *form);
  if (!auth.ok()) return std::nullopt;
  return auth->client.client_id();
}

}  // namespace

void Gateway::CheckCorsThen(std::shared_ptr<Exchange> exchange,
                            void (Gateway::*handler)(std::shared_ptr<Exchange>)) {
  const std::optional<std::string> client_id = ClientIdForCors(exchange->request);
  if (client_id.has_value() && client_id->empty()) {
    // No client named (e.g. an assertion without client_id): no CORS.
    (this->*handler)(std::move(exchange));
    return;
  }
  oauth::v1::CheckCorsOriginRequest request;
  request.set_origin(exchange->origin);
  request.set_client_id(client_id.value_or(""));
  CallOAuthd<oauth::v1::CheckCorsOriginResponse>(
      *exchange, std::move(request),
      [](auto* async, auto* context, auto* request, auto* response, auto callback) {
        async->CheckCorsOrigin(context, request, response, std::move(callback));
      },
      [this, exchange, handler](const grpc::Status& status,
                                const oauth::v1::CheckCorsOriginResponse& result) {
        // On failure the request goes on without CORS headers: the browser
        // then hides the answer, as for an origin no client lists.
        exchange->origin_allowed = status.ok() && result.allowed();
        (this->*handler)(exchange);
      });
}

void Gateway::HandleCorsPreflight(std::shared_ptr<Exchange> exchange) {
  if (!IsCorsPreflight(exchange->request)) {
    // A plain OPTIONS (RFC 9110 §9.3.7): what the resource supports.
    HttpResponse response = NewResponse(http::status::no_content);
    response.set(http::field::allow, "OPTIONS, POST");
    exchange->Finish(std::move(response), "options");
    return;
  }
  const std::string origin = *RequestOrigin(exchange->request);
  if (!CouldBeListedOrigin(origin)) {
    exchange->Finish(CorsPreflightRefusal(), "preflight_refused");
    return;
  }
  oauth::v1::CheckCorsOriginRequest request;
  request.set_origin(origin);  // no client id in a preflight: any client
  CallOAuthd<oauth::v1::CheckCorsOriginResponse>(
      *exchange, std::move(request),
      [](auto* async, auto* context, auto* request, auto* response, auto callback) {
        async->CheckCorsOrigin(context, request, response, std::move(callback));
      },
      [exchange, origin](const grpc::Status& status,
                         const oauth::v1::CheckCorsOriginResponse& result) {
        if (!status.ok()) {
          exchange->FinishError(ErrorForFailedRpc(status), false);
          return;
        }
        if (!result.allowed()) {
          exchange->Finish(CorsPreflightRefusal(), "preflight_refused");
          return;
        }
        exchange->Finish(CorsPreflightResponse(origin), "preflight");
      });
}

void Gateway::HandleHealth(std::shared_ptr<Exchange> exchange) {
  if (draining_.load(std::memory_order_relaxed)) {
    exchange->Finish(TextResponse(http::status::service_unavailable, "draining\n"), "unavailable");
    return;
  }
  struct Call {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
  };
  auto* call = new Call;
  call->context.set_deadline(std::chrono::system_clock::now() +
                             absl::ToChronoMilliseconds(config_.health_timeout));
  call->context.AddMetadata(kSourceAddressMetadataKey, exchange->source_address);
  health_stub_->async()->Check(
      &call->context, &call->request, &call->response, [this, call, exchange](grpc::Status status) {
        std::unique_ptr<Call> owned(call);
        if (!status.ok() ||
            owned->response.status() != grpc::health::v1::HealthCheckResponse::SERVING) {
          exchange->Finish(
              TextResponse(http::status::service_unavailable, "oauthd is not serving\n"),
              "unavailable");
          return;
        }
        if (!config_.issuer_agreement) {
          exchange->Finish(TextResponse(http::status::ok, "ok\n"), "success");
          return;
        }
        CheckIssuerForHealth(exchange);
      });
}

// The second half of /healthz: oauthd serves; does it have our issuer?
void Gateway::CheckIssuerForHealth(std::shared_ptr<Exchange> exchange) {
  struct Call {
    grpc::ClientContext context;
    oauth::v1::GetServerMetadataRequest request;
    oauth::v1::ServerMetadata response;
  };
  auto* call = new Call;
  call->context.set_deadline(std::chrono::system_clock::now() +
                             absl::ToChronoMilliseconds(config_.health_timeout));
  call->context.AddMetadata(kSourceAddressMetadataKey, exchange->source_address);
  stub_->async()->GetServerMetadata(
      &call->context, &call->request, &call->response, [this, call, exchange](grpc::Status status) {
        std::unique_ptr<Call> owned(call);
        if (!status.ok()) {
          exchange->Finish(
              TextResponse(http::status::service_unavailable, "oauthd is not serving\n"),
              "unavailable");
          return;
        }
        const std::string mismatch = config_.issuer_agreement->Observe(owned->response.issuer());
        if (!mismatch.empty()) {
          exchange->Finish(TextResponse(http::status::service_unavailable, mismatch + "\n"),
                           "unavailable");
          return;
        }
        exchange->Finish(TextResponse(http::status::ok, "ok\n"), "success");
      });
}

// ---- device authorization grant (RFC 8628) -----------------------------------

namespace {

std::string DeviceAuthorizationJson(const oauth::v1::DeviceAuthorizeResponse& r) {
  JsonObjectWriter json;
  json.String("device_code", r.device_code());
  json.String("user_code", r.user_code());
  json.String("verification_uri", r.verification_uri());
  json.StringIfNotEmpty("verification_uri_complete", r.verification_uri_complete());
  json.Int("expires_in", r.expires_in());
  json.Int("interval", r.interval());
  return json.Finish();
}

// What the confirm page carries in hidden fields and binds its CSRF token
// to, in a fixed order (rendering and posting build the same list).
CsrfProtector::Fields DeviceBoundFields(absl::string_view user_code,
                                        absl::string_view client_name,
                                        absl::string_view scopes) {
  CsrfProtector::Fields fields;
  fields.emplace_back(kUserCodeField, user_code);
  if (!client_name.empty()) fields.emplace_back(kDisplayClientNameField, client_name);
  if (!scopes.empty()) fields.emplace_back(kDisplayScopesField, scopes);
  return fields;
}

}  // namespace

// RFC 8628 §3.1-3.2: a form post with client authentication as at /token.
void Gateway::HandleDeviceAuthorization(std::shared_ptr<Exchange> exchange) {
  std::optional<ClientRequest> parsed = ParseClientRequest(
      exchange->request, [&](const oauth::v1::OAuthError& error, bool used_header) {
        exchange->FinishError(error, used_header);
      });
  if (!parsed) return;
  oauth::v1::DeviceAuthorizeRequest request;
  *request.mutable_client() = parsed->auth.client;
  request.set_scope(parsed->form.Get("scope"));
  for (std::string& resource : parsed->form.GetAll("resource")) {
    request.add_resource(std::move(resource));
  }
  const bool used_header = parsed->auth.used_authorization_header;
  CallOAuthdOn<oauth::v1::DeviceAuthorizeResponse>(
      *exchange, device_stub_->async(), std::move(request),
      [](auto* async, auto* context, auto* request, auto* response, auto callback) {
        async->DeviceAuthorize(context, request, response, std::move(callback));
      },
      [exchange, used_header](const grpc::Status& status,
                              const oauth::v1::DeviceAuthorizeResponse& result) {
        if (!status.ok()) {
          exchange->FinishError(ErrorForFailedRpc(status), used_header);
          return;
        }
        HttpResponse response = JsonResponse(http::status::ok, DeviceAuthorizationJson(result));
        SetNoStore(response);
        exchange->Finish(std::move(response), "success");
      });
}

// RFC 8628 §3.3: GET shows the code form, or with ?user_code= looks the
// code up and shows the sign-in and approval form; POST is that form.
void Gateway::HandleDevicePage(std::shared_ptr<Exchange> exchange) {
  const std::string form_action = absl::StrCat(issuer_path_, "/device");
  if (exchange->request.method() == http::verb::post) {
    if (!IsFormContentType(exchange->request)) {
      exchange->FinishErrorPage(MakeOAuthError(
          "invalid_request", "the request body must be application/x-www-form-urlencoded"));
      return;
    }
    absl::StatusOr<FormParameters> form = FormParameters::Parse(exchange->request.body(), {});
    if (!form.ok()) {
      exchange->FinishErrorPage(ErrorForRejectedRequest(form.status()));
      return;
    }
    HandleDeviceDecision(std::move(exchange), *form);
    return;
  }
  absl::StatusOr<FormParameters> query =
      FormParameters::Parse(Query(ToAbsl(exchange->request.target())), {});
  if (!query.ok()) {
    exchange->FinishErrorPage(ErrorForRejectedRequest(query.status()));
    return;
  }
  const std::string& typed = query->Get(std::string(kUserCodeField));
  if (typed.empty()) {
    DeviceCodePageModel page;
    page.form_action = form_action;
    exchange->Finish(HtmlResponse(http::status::ok, RenderDeviceCodePage(page)), "device_page");
    return;
  }
  oauth::v1::VerifyDeviceRequest request;
  request.set_user_code(typed);
  CallOAuthdOn<oauth::v1::VerifyDeviceResponse>(
      *exchange, device_stub_->async(), std::move(request),
      [](auto* async, auto* context, auto* request, auto* response, auto callback) {
        async->VerifyDevice(context, request, response, std::move(callback));
      },
      [this, exchange, typed, form_action](const grpc::Status& status,
                                           const oauth::v1::VerifyDeviceResponse& result) {
        if (!status.ok()) {
          const oauth::v1::OAuthError error = ErrorForFailedRpc(status);
          if (error.error() != "invalid_grant") {
            exchange->FinishErrorPage(error);
            return;
          }
          // A wrong code, or too many: ask again.
          DeviceCodePageModel page;
          page.user_code = typed;
          page.message = error.error_description();
          page.form_action = form_action;
          exchange->Finish(HtmlResponse(http::status::ok, RenderDeviceCodePage(page)),
                           "device_code_rejected");
          return;
        }
        const absl::string_view cookie_name =
            config_.secure_cookies ? kSecureCookieName : kCookieName;
        std::string nonce = CookieValue(exchange->request, cookie_name);
        const bool new_nonce = !CsrfProtector::IsWellFormedNonce(nonce);
        if (new_nonce) nonce = CsrfProtector::NewNonce();

        DeviceConfirmPageModel page;
        page.client_id = result.client_id();
        page.client_name = result.client_name();
        page.scopes.assign(result.scopes().begin(), result.scopes().end());
        page.user_code = result.user_code();
        page.form_action = form_action;
        page.hidden_fields = DeviceBoundFields(result.user_code(), result.client_name(),
                                               absl::StrJoin(result.scopes(), " "));
        const std::string token = csrf_.Issue(nonce, page.hidden_fields, absl::Now());
        page.hidden_fields.emplace_back(kCsrfTokenField, token);
        HttpResponse response = HtmlResponse(http::status::ok, RenderDeviceConfirmPage(page));
        if (new_nonce) {
          response.set(
              http::field::set_cookie,
              SetCookieValue(cookie_name, nonce, config_.secure_cookies, csrf_.lifetime()));
        }
        exchange->Finish(std::move(response), "device_confirm_page");
      });
}

void Gateway::HandleDeviceDecision(std::shared_ptr<Exchange> exchange,
                                   const FormParameters& form) {
  const absl::string_view cookie_name = config_.secure_cookies ? kSecureCookieName : kCookieName;
  const std::string nonce = CookieValue(exchange->request, cookie_name);
  const std::string& user_code = form.Get(std::string(kUserCodeField));
  const std::string& client_name = form.Get(std::string(kDisplayClientNameField));
  const std::string& scopes = form.Get(std::string(kDisplayScopesField));
  CsrfProtector::Fields bound = DeviceBoundFields(user_code, client_name, scopes);
  if (!csrf_.Verify(form.Get(std::string(kCsrfTokenField)), nonce, bound, absl::Now())) {
    exchange->Finish(
        HtmlResponse(http::status::forbidden,
                     RenderErrorPage("Request rejected", "",
                                     "This form expired or was not sent from this page. "
                                     "Enter the code from your device again.")),
        "csrf_rejected");
    return;
  }
  const std::string& action = form.Get(std::string(kActionField));
  if (action != "approve" && action != "deny") {
    exchange->FinishErrorPage(
        MakeOAuthError("invalid_request", "the form must be sent with Approve or Deny"));
    return;
  }
  const bool approve = action == "approve";
  oauth::v1::VerifyDeviceRequest request;
  request.set_user_code(user_code);
  request.set_decision(approve ? oauth::v1::VerifyDeviceRequest::APPROVE
                               : oauth::v1::VerifyDeviceRequest::DENY);
  if (approve) {
    request.mutable_login()->set_username(form.Get("username"));
    request.mutable_login()->set_password(form.Get("password"));
  }
  // What a re-rendered page needs if the login fails.
  DeviceConfirmPageModel page;
  page.client_name = client_name;
  for (absl::string_view scope : absl::StrSplit(scopes, ' ', absl::SkipEmpty())) {
    page.scopes.emplace_back(scope);
  }
  page.user_code = user_code;
  page.hidden_fields = std::move(bound);
  page.username = form.Get("username");
  page.form_action = absl::StrCat(issuer_path_, "/device");

  CallOAuthdOn<oauth::v1::VerifyDeviceResponse>(
      *exchange, device_stub_->async(), std::move(request),
      [](auto* async, auto* context, auto* request, auto* response, auto callback) {
        async->VerifyDevice(context, request, response, std::move(callback));
      },
      [this, exchange, approve, nonce, page = std::move(page)](
          const grpc::Status& status, const oauth::v1::VerifyDeviceResponse& result) mutable {
        if (status.ok()) {
          const std::string& name =
              result.client_name().empty() ? result.client_id() : result.client_name();
          exchange->Finish(HtmlResponse(http::status::ok, RenderDeviceDonePage(approve, name)),
                           approve ? "device_approved" : "device_denied");
          return;
        }
        const oauth::v1::OAuthError error = ErrorForFailedRpc(status);
        if (error.error() == "invalid_grant" || error.error() == "invalid_request") {
          // Wrong credentials, a locked account, or a code that ran out.
          page.message = error.error_description();
          const std::string token = csrf_.Issue(nonce, page.hidden_fields, absl::Now());
          page.hidden_fields.emplace_back(kCsrfTokenField, token);
          exchange->Finish(HtmlResponse(http::status::ok, RenderDeviceConfirmPage(page)),
                           "login_failed");
          return;
        }
        exchange->FinishErrorPage(error);
      });
}

}  // namespace oauthd::gateway
