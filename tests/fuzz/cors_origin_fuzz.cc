// CORS origins: the allowed_cors_origins the admin service accepts for a
// client (ValidateAndNormalizeClient, then ClientAdmin::Create on the memory
// store), the Origin header as the gateway reads it from raw request bytes
// (the server's parser setup, RequestOrigin, IsCorsPreflight), oauthd's
// decision (CorsPolicy::Allowed, per client and for preflights) and the
// headers the gateway then writes (AllowOrigin, CorsPreflightResponse).
// Input: '\n'-separated fields:
//   mode     -- first byte: 'p' preflight (no client), 'a' / 'b' a request
//               of client "a" / "b", else a request of an unknown client;
//   origins  -- client "a"'s origins, separated by '|';
//   origins  -- client "b"'s origins, separated by '|';
//   headers  -- the rest: one Origin header value per line ('\r' kept).

#include <arpa/inet.h>

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "server/core/client_admin.h"
#include "server/core/client_registry.h"
#include "server/core/cors_policy.h"
#include "server/gateway/cors.h"
#include "server/gateway/request_parser.h"
#include "storage/memory/memory_store.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_input.h"

namespace oauthd::fuzz {
namespace {

namespace http = boost::beast::http;
const absl::Time kNow = absl::FromUnixSeconds(1700000000);

// An origin exactly as a browser serialises it in the Origin header (RFC
// 6454 §6.2, WHATWG URL "serialize an origin"), read independently of
// client_admin: lower-case http or https, "://", a host (lower-case domain
// of letters, digits, '-' and '.', or a bracketed IPv6 address), and a
// decimal port without leading zeros only when it is not the scheme's
// default. Anything else can never equal an Origin header a browser sends.
bool IsBrowserOrigin(absl::string_view origin) {
  absl::string_view rest = origin;
  bool https = false;
  if (absl::ConsumePrefix(&rest, "https://")) {
    https = true;
  } else if (!absl::ConsumePrefix(&rest, "http://")) {
    return false;
  }
  absl::string_view host = rest;
  absl::string_view port;
  bool has_port = false;
  if (!rest.empty() && rest.front() == '[') {
    const size_t close = rest.find(']');
    if (close == absl::string_view::npos) return false;
    host = rest.substr(0, close + 1);
    absl::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (!absl::ConsumePrefix(&after, ":")) return false;
      has_port = true;
      port = after;
    }
    const std::string address(host.substr(1, host.size() - 2));
    for (char c : address) {
      if (!(absl::ascii_isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f') ||
            c == ':' || c == '.')) {
        return false;
      }
    }
    in6_addr parsed;
    if (inet_pton(AF_INET6, address.c_str(), &parsed) != 1) return false;
  } else {
    const size_t colon = rest.find(':');
    if (colon != absl::string_view::npos) {
      host = rest.substr(0, colon);
      port = rest.substr(colon + 1);
      has_port = true;
    }
    if (host.empty()) return false;
    for (char c : host) {
      if (!(absl::ascii_islower(static_cast<unsigned char>(c)) ||
            absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.')) {
        return false;
      }
    }
  }
  if (has_port) {
    if (port.empty() || port.size() > 5 || port.front() == '0') return false;
    for (char c : port) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
    }
    int number = 0;
    if (!absl::SimpleAtoi(port, &number) || number < 1 || number > 65535) return false;
    if (number == (https ? 443 : 80)) return false;
  }
  return true;
}

bool OneOriginValid(const std::string& origin) {
  oauth::admin::v1::Client c;
  c.set_client_id("probe");
  c.add_grant_types("client_credentials");
  c.add_allowed_cors_origins(origin);
  return ValidateAndNormalizeClient(c).ok();
}

// The origins of `list` the admin service accepts, each checked.
std::vector<std::string> AcceptedOrigins(absl::string_view list) {
  std::vector<std::string> accepted;
  if (list.empty()) return accepted;
  for (absl::string_view origin : absl::StrSplit(list, '|')) {
    if (accepted.size() == 32) break;
    const std::string o(origin);
    if (!OneOriginValid(o)) continue;
    FUZZ_CHECK(IsBrowserOrigin(o));
    // The gateway asks oauthd only about origins that could be listed.
    FUZZ_CHECK(gateway::CouldBeListedOrigin(o));
    accepted.push_back(o);
  }
  return accepted;
}

void CheckHeaderValue(absl::string_view value) {
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    FUZZ_CHECK((u >= 0x20 && u != 0x7f) || u == '\t');
  }
}

// A response echoing `origin`: the header is that origin byte for byte, and
// the serialised response parses back with the same single header.
void CheckEcho(gateway::HttpResponse response, absl::string_view origin) {
  FUZZ_CHECK(response.count(http::field::access_control_allow_origin) == 1);
  FUZZ_CHECK(gateway::ToAbsl(response[http::field::access_control_allow_origin]) == origin);
  FUZZ_CHECK(gateway::ToAbsl(response[http::field::vary]) == "Origin");
  for (const auto& field : response) CheckHeaderValue(gateway::ToAbsl(field.value()));
  response.version(11);
  response.prepare_payload();
  std::ostringstream wire;
  wire << response;
  const std::string bytes = wire.str();
  http::response_parser<http::string_body> parser;
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(bytes), ec);
  if (ec == http::error::need_more) {
    ec = {};
    parser.put_eof(ec);
  }
  FUZZ_CHECK(!ec && parser.is_done());
  const auto& parsed = parser.get();
  FUZZ_CHECK(parsed.count(http::field::access_control_allow_origin) == 1);
  FUZZ_CHECK(gateway::ToAbsl(parsed[http::field::access_control_allow_origin]) == origin);
}

bool ParseRequest(absl::string_view bytes, gateway::HttpRequest* request) {
  gateway::RequestParser parser;
  gateway::ConfigureRequestParser(parser, 64 * 1024, 16 * 1024);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
  if (ec || !parser.is_done()) return false;
  *request = parser.release();
  return true;
}

}  // namespace
}  // namespace oauthd::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace oauthd;
  using namespace oauthd::fuzz;
  if (size > 8192) return 0;
  const std::vector<absl::string_view> fields = SplitFields(AsView(data, size), 4);
  const char mode = fields[0].empty() ? 'p' : fields[0][0];

  Clock clock = [] { return kNow; };
  std::unique_ptr<storage::Store> store = storage::NewMemoryStore(clock);
  ServerConfig config;
  config.issuer = "https://as.example";
  ClientRegistry registry(store->clients(), absl::Seconds(5), clock);
  ClientAdmin admin(config, *store, registry, clock);
  std::vector<std::string> registered[2];
  for (int i = 0; i < 2; ++i) {
    registered[i] = AcceptedOrigins(fields[1 + i]);
    oauth::admin::v1::CreateClientRequest request;
    request.mutable_client()->set_client_id(i == 0 ? "a" : "b");
    // Public clients: no secret to hash, which would dominate the run time.
    request.mutable_client()->set_token_endpoint_auth_method("none");
    request.mutable_client()->add_grant_types("authorization_code");
    request.mutable_client()->add_redirect_uris("https://app.example/cb");
    for (const std::string& o : registered[i]) request.mutable_client()->add_allowed_cors_origins(o);
    absl::StatusOr<oauth::admin::v1::CreateClientResponse> created = admin.Create(request);
    // Origins valid one by one are valid together.
    FUZZ_CHECK(created.ok());
    FUZZ_CHECK(created->client().allowed_cors_origins_size() ==
               static_cast<int>(registered[i].size()));
  }

  // The request as the gateway would receive it.
  const bool preflight = mode == 'p';
  std::string raw = absl::StrCat(preflight ? "OPTIONS" : "POST",
                                 " /token HTTP/1.1\r\nHost: as.example\r\n");
  if (!fields[3].empty()) {
    for (absl::string_view value : absl::StrSplit(fields[3], '\n')) {
      absl::StrAppend(&raw, "Origin: ", value, "\r\n");
    }
  }
  if (preflight) absl::StrAppend(&raw, "Access-Control-Request-Method: POST\r\n");
  absl::StrAppend(&raw, "Content-Length: 0\r\n\r\n");
  gateway::HttpRequest request;
  if (!ParseRequest(raw, &request)) return 0;
  const std::optional<std::string> origin = gateway::RequestOrigin(request);
  FUZZ_CHECK(gateway::IsCorsPreflight(request) == (preflight && origin.has_value()));
  if (!origin) {
    FUZZ_CHECK(request.count(http::field::origin) != 1 ||
               request[http::field::origin].empty());
    return 0;
  }
  FUZZ_CHECK(!origin->empty());
  CheckHeaderValue(*origin);

  const std::string client_id = mode == 'a' ? "a" : mode == 'b' ? "b" : preflight ? "" : "zz";
  CorsPolicy policy(registry, store->clients(), absl::Seconds(10), clock);
  absl::StatusOr<bool> allowed = policy.Allowed(*origin, client_id);
  FUZZ_CHECK(allowed.ok());
  // Allowed exactly when the origin equals, byte for byte, an origin the
  // client (for a preflight: any client) registered.
  std::set<std::string> candidates;
  for (int i = 0; i < 2; ++i) {
    if (client_id.empty() || client_id == (i == 0 ? "a" : "b")) {
      candidates.insert(registered[i].begin(), registered[i].end());
    }
  }
  FUZZ_CHECK(*allowed == (candidates.count(*origin) == 1));
  if (!*allowed) return 0;
  FUZZ_CHECK(IsBrowserOrigin(*origin));
  // What the gateway writes back for an allowed origin.
  CheckEcho(gateway::CorsPreflightResponse(*origin), *origin);
  gateway::HttpResponse response;
  response.result(http::status::ok);
  gateway::AllowOrigin(response, *origin);
  CheckEcho(std::move(response), *origin);
  return 0;
}
