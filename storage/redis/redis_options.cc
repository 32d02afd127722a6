#include "storage/redis/redis_options.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace oauthd::storage {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = absl::ascii_tolower(static_cast<unsigned char>(c));
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

absl::StatusOr<std::string> PercentDecode(absl::string_view in,
                                          absl::string_view what) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    int hi = i + 2 < in.size() ? HexValue(in[i + 1]) : -1;
    int lo = i + 2 < in.size() ? HexValue(in[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("redis URL: bad percent-encoding in the ", what));
    }
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

}  // namespace

absl::Status ValidateRedisOptions(const RedisOptions& o) {
  if (o.host.empty()) return absl::InvalidArgumentError("redis: host is empty");
  if (o.host[0] != '/' && (o.port < 1 || o.port > 65535)) {
    return absl::InvalidArgumentError(
        absl::StrCat("redis: port ", o.port, " is not in 1..65535"));
  }
  if (o.db < 0) return absl::InvalidArgumentError("redis: db must be >= 0");
  if (!o.user.empty() && o.password.empty()) {
    return absl::InvalidArgumentError("redis: a user needs a password");
  }
  if (o.pool_size < 1 || o.pool_size > 1024) {
    return absl::InvalidArgumentError("redis: pool_size must be in 1..1024");
  }
  auto positive_finite = [](absl::Duration d) {
    return d >= absl::Milliseconds(1) && d < absl::Hours(1);
  };
  if (!positive_finite(o.connect_timeout)) {
    return absl::InvalidArgumentError(
        "redis: connect_timeout must be between 1 ms and 1 h");
  }
  if (!positive_finite(o.command_timeout)) {
    return absl::InvalidArgumentError(
        "redis: command_timeout must be between 1 ms and 1 h");
  }
  if (o.pool_wait_timeout < absl::ZeroDuration() ||
      o.pool_wait_timeout >= absl::Hours(1)) {
    return absl::InvalidArgumentError(
        "redis: pool_wait_timeout must be between 0 and 1 h");
  }
  return absl::OkStatus();
}

absl::StatusOr<RedisOptions> ParseRedisUrl(absl::string_view url) {
  RedisOptions o;
  absl::string_view rest = url;
  if (!absl::ConsumePrefix(&rest, "redis://")) {
    return absl::InvalidArgumentError(
        "redis URL must start with redis:// (TLS, rediss://, is not supported)");
  }
  // Credentials: everything up to the last '@' before the path.
  absl::string_view authority = rest.substr(0, rest.find('/'));
  absl::string_view path = rest.substr(authority.size());
  if (size_t at = authority.rfind('@'); at != absl::string_view::npos) {
    absl::string_view userinfo = authority.substr(0, at);
    authority.remove_prefix(at + 1);
    size_t colon = userinfo.find(':');
    if (colon == absl::string_view::npos) {
      // "redis://secret@host" is a common shorthand for a bare password.
      auto pw = PercentDecode(userinfo, "password");
      if (!pw.ok()) return pw.status();
      o.password = *std::move(pw);
    } else {
      auto user = PercentDecode(userinfo.substr(0, colon), "user");
      if (!user.ok()) return user.status();
      auto pw = PercentDecode(userinfo.substr(colon + 1), "password");
      if (!pw.ok()) return pw.status();
      o.user = *std::move(user);
      o.password = *std::move(pw);
    }
  }
  absl::string_view host = authority;
  absl::string_view port;
  if (absl::ConsumePrefix(&host, "[")) {
    size_t close = host.find(']');
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError("redis URL: unterminated [IPv6] host");
    }
    absl::string_view after = host.substr(close + 1);
    host = host.substr(0, close);
    if (!after.empty() && !absl::ConsumePrefix(&after, ":")) {
      return absl::InvalidArgumentError("redis URL: garbage after ]");
    }
    port = after;
  } else if (size_t colon = host.rfind(':'); colon != absl::string_view::npos) {
    port = host.substr(colon + 1);
    host = host.substr(0, colon);
  }
  if (host.empty()) return absl::InvalidArgumentError("redis URL: host is empty");
  o.host = std::string(host);
  if (!port.empty() && (!absl::SimpleAtoi(port, &o.port) || o.port < 1 ||
                        o.port > 65535)) {
    return absl::InvalidArgumentError(
        absl::StrCat("redis URL: bad port '", port, "'"));
  }
  absl::ConsumePrefix(&path, "/");
  if (!path.empty() && (!absl::SimpleAtoi(path, &o.db) || o.db < 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("redis URL: bad database number '", path, "'"));
  }
  return o;
}

}  // namespace oauthd::storage
