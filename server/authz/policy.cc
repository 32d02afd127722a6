#include "server/authz/policy.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace oauthd::authz {
namespace {

absl::Status Error(const YAML::Node& node, absl::string_view message) {
  return absl::InvalidArgumentError(
      absl::StrCat("line ", node.Mark().line + 1, ": ", message));
}

// Checks that `map` has only `allowed` keys; suggests the closest one.
absl::Status OnlyKeys(const YAML::Node& map, const std::set<std::string>& allowed) {
  for (const auto& entry : map) {
    const std::string key = entry.first.as<std::string>();
    if (allowed.count(key)) continue;
    std::string hint;
    for (const std::string& a : allowed) {
      if (absl::StartsWith(a, key) || absl::StartsWith(key, a)) hint = a;
    }
    return Error(entry.first, absl::StrCat("unknown key '", key, "'",
                                           hint.empty() ? "" : absl::StrCat(" (did you mean '", hint, "'?)"),
                                           "; known: ", absl::StrJoin(allowed, ", ")));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> String(const YAML::Node& node, absl::string_view what) {
  if (!node.IsScalar()) return Error(node, absl::StrCat(what, " must be a string"));
  return node.as<std::string>();
}

absl::StatusOr<bool> Bool(const YAML::Node& node, absl::string_view what) {
  bool value = false;
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
    return Error(node, absl::StrCat(what, " must be true or false"));
  }
  return value;
}

absl::StatusOr<std::vector<std::string>> StringList(const YAML::Node& node,
                                                   absl::string_view what) {
  if (!node.IsSequence()) return Error(node, absl::StrCat(what, " must be a list"));
  std::vector<std::string> out;
  for (const YAML::Node& item : node) {
    if (!item.IsScalar() || item.as<std::string>().empty()) {
      return Error(item, absl::StrCat(what, " entries must be non-empty strings"));
    }
    out.push_back(item.as<std::string>());
  }
  return out;
}

bool IsToken(absl::string_view s) {  // RFC 9110 token (header names, methods)
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) &&
        std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

absl::StatusOr<Rule> ParseRule(const YAML::Node& node) {
  if (!node.IsMap()) return Error(node, "a rule must be a mapping");
  if (auto s = OnlyKeys(node, {"host", "path_prefix", "methods", "anonymous", "audience",
                               "scopes"});
      !s.ok()) {
    return s;
  }
  Rule rule;
  rule.line = node.Mark().line + 1;
  if (node["host"]) {
    auto host = String(node["host"], "host");
    if (!host.ok()) return host.status();
    rule.host = absl::AsciiStrToLower(*host);
    if (rule.host.empty() || absl::StrContains(rule.host, '/')) {
      return Error(node["host"], "host must be a host name (no scheme, no path)");
    }
  }
  if (!node["path_prefix"]) return Error(node, "a rule needs path_prefix");
  auto prefix = String(node["path_prefix"], "path_prefix");
  if (!prefix.ok()) return prefix.status();
  if (!IsCanonicalPath(*prefix) || absl::StrContains(*prefix, '?')) {
    return Error(node["path_prefix"], "path_prefix must be a canonical path starting with '/'");
  }
  rule.path_prefix = *prefix;
  if (node["methods"]) {
    auto methods = StringList(node["methods"], "methods");
    if (!methods.ok()) return methods.status();
    for (std::string& m : *methods) {
      if (!IsToken(m)) return Error(node["methods"], absl::StrCat("bad method '", m, "'"));
      rule.methods.push_back(absl::AsciiStrToUpper(m));
    }
  }
  if (node["anonymous"]) {
    auto anonymous = Bool(node["anonymous"], "anonymous");
    if (!anonymous.ok()) return anonymous.status();
    rule.anonymous = *anonymous;
  }
  if (node["audience"]) {
    auto audience = String(node["audience"], "audience");
    if (!audience.ok()) return audience.status();
    rule.audience = *audience;
  }
  if (node["scopes"]) {
    auto scopes = StringList(node["scopes"], "scopes");
    if (!scopes.ok()) return scopes.status();
    rule.scopes = *std::move(scopes);
  }
  if (rule.anonymous && (!rule.audience.empty() || !rule.scopes.empty())) {
    return Error(node, "an anonymous rule cannot require an audience or scopes");
  }
  if (!rule.anonymous && rule.audience.empty()) {
    // Accepting a token minted for any audience would let one API's tokens
    // open another's (RFC 9068 §4).
    return Error(node, "a rule needs an audience (or anonymous: true)");
  }
  return rule;
}

absl::Status ParseHeaders(const YAML::Node& node, IdentityHeaders& headers) {
  if (!node.IsMap()) return Error(node, "identity_headers must be a mapping");
  if (auto s = OnlyKeys(node, {"subject", "client_id", "scope", "grant_id"}); !s.ok()) return s;
  for (auto [key, field] : {std::pair{"subject", &headers.subject},
                            std::pair{"client_id", &headers.client_id},
                            std::pair{"scope", &headers.scope},
                            std::pair{"grant_id", &headers.grant_id}}) {
    if (!node[key]) continue;
    auto name = String(node[key], key);
    if (!name.ok()) return name.status();
    if (!IsToken(*name)) return Error(node[key], absl::StrCat("bad header name '", *name, "'"));
    *field = absl::AsciiStrToLower(*name);
  }
  return absl::OkStatus();
}

// The path as a servlet container routes it: ";params" dropped from every
// segment ("/admin;x/y" is "/admin/y").
std::string WithoutSegmentParameters(absl::string_view path) {
  std::string out;
  out.reserve(path.size());
  bool in_parameters = false;
  for (char c : path) {
    if (c == '/') in_parameters = false;
    if (c == ';') in_parameters = true;
    if (!in_parameters) out.push_back(c);
  }
  return out;
}

// Whole-segment prefix: "/a" matches "/a" and "/a/b", not "/ab"; "/" matches all.
bool PathHasPrefix(absl::string_view path, absl::string_view prefix) {
  if (!absl::StartsWith(path, prefix)) return false;
  return path.size() == prefix.size() || prefix.back() == '/' || path[prefix.size()] == '/';
}

}  // namespace

bool IsCanonicalPath(absl::string_view path) {
  path = path.substr(0, path.find('?'));
  if (path.empty() || path.front() != '/') return false;
  for (char c : path) {
    const unsigned char b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7f || c == '\\' || c == '#') return false;
  }
  // Percent-encoding: never of '/', '\', '.', '%' or NUL, nor of an
  // unreserved character (RFC 3986 §2.3), which a backend decodes while the
  // prefix match would not ("/%61dmin" is "/admin"); and always two hex digits.
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '%') continue;
    if (i + 2 >= path.size() || !absl::ascii_isxdigit(static_cast<unsigned char>(path[i + 1])) ||
        !absl::ascii_isxdigit(static_cast<unsigned char>(path[i + 2]))) {
      return false;
    }
    int value = 0;
    absl::SimpleHexAtoi(path.substr(i + 1, 2), &value);
    const char c = static_cast<char>(value);
    if (value == 0 || c == '/' || c == '\\' || c == '%' ||
        absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
        absl::string_view("-._~").find(c) != absl::string_view::npos) {
      return false;
    }
  }
  std::vector<absl::string_view> segments = absl::StrSplit(path.substr(1), '/');
  for (size_t i = 0; i < segments.size(); ++i) {
    const absl::string_view s = segments[i];
    // Servlet containers drop ";params" before resolving dot segments, so
    // "/public/..;/admin" is "/admin" to them; a segment is judged by what
    // comes before its first ';'.
    const absl::string_view head = s.substr(0, s.find(';'));
    if (head == "." || head == ".." || (head.empty() && !s.empty())) return false;
    if (s.empty() && i + 1 != segments.size()) return false;  // "//"; a trailing "/" is fine
  }
  return true;
}

const Rule* Policy::Match(absl::string_view host, absl::string_view method,
                          absl::string_view path) const {
  const std::string routed = WithoutSegmentParameters(path.substr(0, path.find('?')));
  const std::string upper_method = absl::AsciiStrToUpper(method);
  // Host header: drop the port (IPv6 literals keep their brackets).
  const size_t colon = host.rfind(':');
  if (colon != absl::string_view::npos && host.find(']', colon) == absl::string_view::npos) {
    host = host.substr(0, colon);
  }
  const std::string lower_host = absl::AsciiStrToLower(host);
  for (const Rule& rule : rules) {
    if (!rule.host.empty() && rule.host != lower_host) continue;
    if (!rule.methods.empty() &&
        std::find(rule.methods.begin(), rule.methods.end(), upper_method) ==
            rule.methods.end()) {
      continue;
    }
    if (!PathHasPrefix(routed, rule.path_prefix)) continue;
    return &rule;
  }
  return nullptr;
}

absl::StatusOr<Policy> ParsePolicy(absl::string_view yaml) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("line ", e.mark.line + 1, ": ", e.msg));
  }
  if (!root.IsMap()) {
    return absl::InvalidArgumentError("the policy must be a mapping with a 'rules' list");
  }
  try {
    if (auto s = OnlyKeys(root, {"rules", "identity_headers", "remove_authorization"});
        !s.ok()) {
      return s;
    }
    Policy policy;
    if (root["identity_headers"]) {
      if (auto s = ParseHeaders(root["identity_headers"], policy.headers); !s.ok()) return s;
    }
    if (root["remove_authorization"]) {
      auto remove = Bool(root["remove_authorization"], "remove_authorization");
      if (!remove.ok()) return remove.status();
      policy.remove_authorization = *remove;
    }
    const YAML::Node rules = root["rules"];
    if (!rules || !rules.IsSequence() || rules.size() == 0) {
      return absl::InvalidArgumentError("the policy needs a non-empty 'rules' list");
    }
    for (const YAML::Node& node : rules) {
      auto rule = ParseRule(node);
      if (!rule.ok()) return rule.status();
      policy.rules.push_back(*std::move(rule));
    }
    return policy;
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("line ", e.mark.line + 1, ": ", e.msg));
  }
}

absl::StatusOr<Policy> LoadPolicy(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(path, ": cannot be read"));
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<Policy> policy = ParsePolicy(text.str());
  if (!policy.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", policy.status().message()));
  }
  return policy;
}

}  // namespace oauthd::authz
