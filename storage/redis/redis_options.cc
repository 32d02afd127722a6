#include "storage/redis/redis_options.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
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
  for (const HostPort& s : o.sentinels) {
    if (s.host.empty() || s.host[0] == '/') {
      return absl::InvalidArgumentError(
          "redis: a sentinel needs a TCP host name or address");
    }
    if (s.port < 1 || s.port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat(
          "redis: sentinel port ", s.port, " is not in 1..65535"));
    }
  }
  if (!o.sentinels.empty() && o.master_name.empty()) {
    return absl::InvalidArgumentError("redis: sentinels need a master name");
  }
  if (o.sentinel_retry_interval < absl::ZeroDuration() ||
      o.sentinel_retry_interval > absl::Minutes(1)) {
    return absl::InvalidArgumentError(
        "redis: sentinel_retry_interval must be between 0 and 1 min");
  }
  if (o.wait_replicas < 0 || o.wait_replicas > 100) {
    return absl::InvalidArgumentError("redis: wait_replicas must be in 0..100");
  }
  if (o.wait_replicas > 0 && (o.wait_timeout < absl::Milliseconds(1) ||
                              o.wait_timeout >= o.command_timeout)) {
    return absl::InvalidArgumentError(
        "redis: wait_timeout must be at least 1 ms and shorter than "
        "command_timeout");
  }
  if (o.failover_wait < absl::ZeroDuration() || o.failover_wait > absl::Minutes(1)) {
    return absl::InvalidArgumentError(
        "redis: failover_wait must be between 0 and 1 min");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<HostPort>> ParseHostPortList(absl::string_view list) {
  std::vector<HostPort> out;
  if (absl::StripAsciiWhitespace(list).empty()) return out;
  for (absl::string_view item : absl::StrSplit(list, ',')) {
    item = absl::StripAsciiWhitespace(item);
    HostPort hp;
    absl::string_view host = item;
    absl::string_view port;
    if (absl::ConsumePrefix(&host, "[")) {
      size_t close = host.find(']');
      if (close != absl::string_view::npos &&
          host.substr(close + 1).substr(0, 1) == ":") {
        port = host.substr(close + 2);
        host = host.substr(0, close);
      } else {
        host = {};
      }
    } else if (size_t colon = host.rfind(':'); colon != absl::string_view::npos &&
                                               host.find(':') == colon) {
      port = host.substr(colon + 1);
      host = host.substr(0, colon);
    } else {
      host = {};
    }
    if (host.empty() || !absl::SimpleAtoi(port, &hp.port) || hp.port < 1 ||
        hp.port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", item, "' is not host:port (IPv6 as [addr]:port)"));
    }
    hp.host = std::string(host);
    out.push_back(std::move(hp));
  }
  return out;
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
