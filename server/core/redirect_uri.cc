#include "server/core/redirect_uri.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "server/core/oauth_error.h"

namespace oauthd {
namespace {

constexpr absl::string_view kLoopbackPrefixes[] = {"http://127.0.0.1",
                                                   "http://[::1]"};

// For "http://127.0.0.1:8765/cb" returns "http://127.0.0.1" + "/cb", i.e. the
// URI with its port removed; nullopt when `uri` is not a loopback http URI
// or the port is not all digits.
std::optional<std::string> WithoutLoopbackPort(absl::string_view uri) {
  for (absl::string_view prefix : kLoopbackPrefixes) {
    if (!absl::StartsWith(uri, prefix)) continue;
    absl::string_view rest = uri.substr(prefix.size());
    if (absl::ConsumePrefix(&rest, ":")) {
      size_t digits = 0;
      while (digits < rest.size() && absl::ascii_isdigit(rest[digits])) ++digits;
      if (digits == 0 || digits > 5) return std::nullopt;
      rest.remove_prefix(digits);
    }
    if (!rest.empty() && rest[0] != '/' && rest[0] != '?') return std::nullopt;
    return absl::StrCat(prefix, rest);
  }
  return std::nullopt;
}

}  // namespace

absl::Status ValidateRegisteredRedirectUri(absl::string_view uri) {
  if (uri.empty() || uri.size() > 2048) {
    return InvalidRequest("redirect_uri must be 1-2048 bytes");
  }
  if (std::any_of(uri.begin(), uri.end(), [](char c) {
        unsigned char u = static_cast<unsigned char>(c);
        return u <= 0x20 || u == 0x7f;
      })) {
    return InvalidRequest("redirect_uri must not contain spaces or control characters");
  }
  if (absl::StrContains(uri, '#')) {
    return InvalidRequest("redirect_uri must not contain a fragment");
  }
  size_t colon = uri.find(':');
  if (colon == absl::string_view::npos || colon == 0) {
    return InvalidRequest("redirect_uri must be an absolute URI");
  }
  absl::string_view scheme = uri.substr(0, colon);
  if (scheme == "https") {
    if (!absl::StartsWith(uri, "https://") || uri.size() <= 8) {
      return InvalidRequest("redirect_uri must be an absolute URI");
    }
    return absl::OkStatus();
  }
  if (scheme == "http") {
    if (WithoutLoopbackPort(uri)) return absl::OkStatus();
    return InvalidRequest(
        "http redirect_uri is allowed only for 127.0.0.1 or [::1] (RFC 8252 §7.3)");
  }
  // Private-use URI scheme for native apps (RFC 8252 §7.1), e.g. com.example.app:/cb
  bool scheme_ok = absl::ascii_isalpha(static_cast<unsigned char>(scheme[0])) &&
                   std::all_of(scheme.begin(), scheme.end(), [](char c) {
                     return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                            c == '+' || c == '-' || c == '.';
                   });
  if (scheme_ok && absl::StrContains(scheme, '.')) return absl::OkStatus();
  return InvalidRequest(
      "redirect_uri scheme must be https, loopback http, or a private-use scheme "
      "in reverse-domain form");
}

std::optional<std::string> MatchRedirectUri(
    const std::vector<std::string>& registered, absl::string_view requested) {
  for (const std::string& uri : registered) {
    if (uri == requested) return uri;
  }
  std::optional<std::string> requested_portless = WithoutLoopbackPort(requested);
  if (!requested_portless) return std::nullopt;
  for (const std::string& uri : registered) {
    std::optional<std::string> portless = WithoutLoopbackPort(uri);
    if (portless && *portless == *requested_portless) return std::string(requested);
  }
  return std::nullopt;
}

}  // namespace oauthd
