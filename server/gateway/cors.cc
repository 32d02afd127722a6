#include "server/gateway/cors.h"

#include "absl/strings/str_cat.h"

namespace oauthd::gateway {

namespace http = boost::beast::http;

std::optional<std::string> RequestOrigin(const HttpRequest& request) {
  if (request.count(http::field::origin) != 1) return std::nullopt;
  const absl::string_view origin = ToAbsl(request.find(http::field::origin)->value());
  if (origin.empty()) return std::nullopt;
  return std::string(origin);
}

bool CouldBeListedOrigin(absl::string_view origin) {
  for (char ch : origin) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return !origin.empty();
}

bool IsCorsPreflight(const HttpRequest& request) {
  return request.method() == http::verb::options && RequestOrigin(request).has_value() &&
         request.find(http::field::access_control_request_method) != request.end();
}

void AllowOrigin(HttpResponse& response, absl::string_view origin) {
  response.set(http::field::access_control_allow_origin,
               boost::beast::string_view(origin.data(), origin.size()));
  response.set(http::field::vary, "Origin");
}

void AllowAnyOrigin(HttpResponse& response) {
  response.set(http::field::access_control_allow_origin, "*");
}

HttpResponse CorsPreflightResponse(absl::string_view origin) {
  HttpResponse response;
  response.result(http::status::no_content);
  AllowOrigin(response, origin);
  response.set(http::field::access_control_allow_methods, "POST");
  response.set(http::field::access_control_allow_headers, "Authorization, Content-Type");
  response.set(http::field::access_control_max_age, absl::StrCat(kCorsPreflightMaxAgeSeconds));
  response.set(http::field::cache_control, "no-store");
  return response;
}

HttpResponse CorsPreflightRefusal() {
  HttpResponse response;
  response.result(http::status::forbidden);
  response.set(http::field::content_type, "text/plain; charset=utf-8");
  response.set(http::field::cache_control, "no-store");
  response.set(http::field::vary, "Origin");
  response.body() = "this origin may not call this endpoint (no client lists it)\n";
  return response;
}

}  // namespace oauthd::gateway
