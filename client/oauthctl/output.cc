#include "client/oauthctl/output.h"

#include <algorithm>
#include <cstdio>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace oauthctl {
namespace {

// "label: value" lines with the values aligned.
class Block {
 public:
  Block& Add(std::string label, std::string value) {
    rows_.emplace_back(std::move(label), std::move(value));
    return *this;
  }
  void Print() const {
    size_t width = 0;
    for (const auto& [label, value] : rows_) width = std::max(width, label.size());
    for (const auto& [label, value] : rows_) {
      std::printf("%s:%*s %s\n", label.c_str(), static_cast<int>(width - label.size()), "",
                  value.c_str());
    }
  }

 private:
  std::vector<std::pair<std::string, std::string>> rows_;
};

// Columns separated by two spaces; the last column is not padded.
void PrintTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(widths[i] - row[i].size() + 2, ' ');
    }
    std::printf("%s\n", line.c_str());
  }
}

std::string OrDash(const std::string& value) { return value.empty() ? "-" : value; }

template <typename Repeated>
std::string List(const Repeated& values, const char* separator = ", ") {
  return values.empty() ? "-" : absl::StrJoin(values, separator);
}

// "2024-05-01 10:00:00 UTC (in 9m58s)" / "(3m0s ago)"; "-" for 0.
std::string Time(int64_t unix_seconds, bool relative = true) {
  if (unix_seconds == 0) return "-";
  const absl::Time t = absl::FromUnixSeconds(unix_seconds);
  std::string text = absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", t, absl::UTCTimeZone());
  if (relative) {
    const absl::Duration d = absl::Trunc(t - absl::Now(), absl::Seconds(1));
    if (d > absl::ZeroDuration()) {
      absl::StrAppend(&text, " (in ", absl::FormatDuration(d), ")");
    } else if (d < absl::ZeroDuration()) {
      absl::StrAppend(&text, " (", absl::FormatDuration(-d), " ago)");
    }
  }
  return text;
}

std::string Seconds(int64_t seconds, const char* zero) {
  if (seconds == 0) return zero;
  return absl::StrCat(seconds, " s (", absl::FormatDuration(absl::Seconds(seconds)), ")");
}

}  // namespace

void PrintClient(const oauth::admin::v1::Client& client, const std::string& secret) {
  Block block;
  block.Add("client_id", client.client_id())
      .Add("name", OrDash(client.client_name()))
      .Add("auth method",
           client.token_endpoint_auth_method_enforced() ||
                   client.token_endpoint_auth_method().empty()
               ? OrDash(client.token_endpoint_auth_method())
               : absl::StrCat(client.token_endpoint_auth_method(),
                              " (not enforced: registered before methods were; set it with "
                              "client update --auth_method)"))
      .Add("grant types", List(client.grant_types()))
      .Add("redirect URIs", List(client.redirect_uris()))
      .Add("allowed scopes", List(client.allowed_scopes(), " "))
      .Add("default scopes", List(client.default_scopes(), " "))
      .Add("audiences", List(client.audiences()))
      .Add("CORS origins", List(client.allowed_cors_origins()))
      .Add("access token TTL", Seconds(client.access_token_ttl_seconds(), "server default"))
      .Add("refresh token TTL", Seconds(client.refresh_token_ttl_seconds(), "server default"))
      .Add("refresh family TTL", Seconds(client.refresh_family_ttl_seconds(), "server default"))
      .Add("refresh grace", Seconds(client.refresh_grace_seconds(), "none"));
  std::string pkce = !client.has_require_pkce() || client.require_pkce() ? "required" : "optional";
  absl::StrAppend(&pkce, client.allow_plain_pkce() ? ", plain allowed" : ", S256 only");
  block.Add("PKCE", pkce)
      .Add("introspects all", client.introspect_any_token() ? "yes" : "no")
      .Add("created", Time(client.create_time(), false))
      .Add("updated", Time(client.update_time(), false));
  if (!client.jwks().empty()) block.Add("jwks", client.jwks());
  if (!secret.empty()) block.Add("client_secret", secret);
  block.Print();
  if (!secret.empty()) {
    std::printf("\nStore the client_secret now: it is not shown again (oauthd keeps only a hash).\n");
  }
}

void PrintClients(const oauth::admin::v1::ListClientsResponse& response) {
  std::vector<std::vector<std::string>> rows = {
      {"CLIENT_ID", "NAME", "AUTH METHOD", "GRANT TYPES", "SCOPES"}};
  for (const auto& c : response.clients()) {
    rows.push_back({c.client_id(), OrDash(c.client_name()), c.token_endpoint_auth_method(),
                    List(c.grant_types(), ","), List(c.allowed_scopes(), " ")});
  }
  PrintTable(rows);
  std::printf("\n%d client(s)", response.clients_size());
  if (!response.next_page_token().empty()) {
    std::printf("; more with --page_token=%s", response.next_page_token().c_str());
  }
  std::printf("\n");
}

void PrintUser(const oauth::admin::v1::User& user) {
  Block()
      .Add("username", user.username())
      .Add("subject", OrDash(user.subject()))
      .Add("status", user.disabled() ? "disabled" : "enabled")
      .Add("created", Time(user.create_time(), false))
      .Add("updated", Time(user.update_time(), false))
      .Add("logins", !user.has_login_throttle()
                         ? "-"
                         : absl::StrCat(user.login_throttle().attempts(), " of ",
                                        user.login_throttle().limit(),
                                        " unsuccessful attempts in the window",
                                        user.login_throttle().throttled()
                                            ? ": THROTTLED (oauthctl user unlock)"
                                            : ""))
      .Print();
}

void PrintUsers(const oauth::admin::v1::ListUsersResponse& response) {
  std::vector<std::vector<std::string>> rows = {{"USERNAME", "SUBJECT", "STATUS", "CREATED"}};
  for (const auto& u : response.users()) {
    rows.push_back({u.username(), OrDash(u.subject()), u.disabled() ? "disabled" : "enabled",
                    Time(u.create_time(), false)});
  }
  PrintTable(rows);
  std::printf("\n%d user(s)", response.users_size());
  if (!response.next_page_token().empty()) {
    std::printf("; more with --page_token=%s", response.next_page_token().c_str());
  }
  std::printf("\n");
}

void PrintGrants(const oauth::admin::v1::ListUserGrantsResponse& response) {
  std::vector<std::vector<std::string>> rows = {
      {"GRANT", "CLIENT", "SCOPE", "CREATED", "LAST USED", "EXPIRES"}};
  for (const auto& g : response.grants()) {
    rows.push_back({g.grant_id(), g.client_id(), List(g.scopes(), " "),
                    Time(g.create_time(), false), Time(g.last_used_time(), false),
                    Time(g.expire_time(), false)});
  }
  PrintTable(rows);
  std::printf("\n%d grant(s)\n", response.grants_size());
}

void PrintToken(const oauth::v1::TokenResponse& response) {
  Block block;
  block.Add("access_token", response.access_token())
      .Add("token_type", OrDash(response.token_type()))
      .Add("expires_in",
           response.expires_in() == 0
               ? "-"
               : absl::StrCat(Seconds(response.expires_in(), "-"), ", until ",
                              Time(absl::ToUnixSeconds(absl::Now()) + response.expires_in(),
                                   false)))
      .Add("scope", OrDash(response.scope()));
  if (!response.refresh_token().empty()) block.Add("refresh_token", response.refresh_token());
  block.Print();
}

void PrintIntrospection(const oauth::v1::IntrospectResponse& response) {
  if (!response.active()) {
    std::printf("active: false\n");
    return;
  }
  Block()
      .Add("active", "true")
      .Add("token_type", OrDash(response.token_type()))
      .Add("scope", OrDash(response.scope()))
      .Add("client_id", OrDash(response.client_id()))
      .Add("username", OrDash(response.username()))
      .Add("sub", OrDash(response.sub()))
      .Add("aud", List(response.aud()))
      .Add("iss", OrDash(response.iss()))
      .Add("exp", Time(response.exp()))
      .Add("iat", Time(response.iat()))
      .Add("nbf", Time(response.nbf()))
      .Add("jti", OrDash(response.jti()))
      .Add("grant_id", OrDash(response.grant_id()))
      .Print();
}

void PrintJwks(const oauth::v1::GetJwksResponse& response) {
  std::vector<std::vector<std::string>> rows = {{"KID", "KTY", "CRV", "ALG", "USE"}};
  for (const auto& key : response.keys()) {
    rows.push_back({key.kid(), key.kty(), OrDash(key.crv()), OrDash(key.alg()), OrDash(key.use())});
  }
  PrintTable(rows);
  std::printf("\n%d key(s)\n", response.keys_size());
}

}  // namespace oauthctl
