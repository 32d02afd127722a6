// The access decision behind Envoy's ext_authz Check and the gateway's
// /authz (server/authz/decision): method, host, path and Authorization
// header of a request an outsider sends through the API gateway. Input
// lines: method, host, path, Authorization value, and a token to mint: its
// audience then its scopes, space-separated. "$TOKEN" in the Authorization
// value is replaced by that token, validly signed; "$REVOKED" by the same
// token after its jti was revoked.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "server/authz/decision.h"
#include "server/authz/policy.h"
#include "server/core/token_issuer.h"
#include "storage/memory/memory_store.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/fuzz_keys.h"

namespace oauthd::fuzz {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1700000000);

constexpr absl::string_view kPolicy = R"(rules:
  - host: api.example.com
    path_prefix: /orders
    methods: [GET, HEAD]
    audience: orders-api
    scopes: [orders.read]
  - path_prefix: /orders
    methods: [POST]
    audience: orders-api
    scopes: [orders.write, orders.read]
  - path_prefix: /healthz
    anonymous: true
  - path_prefix: /
    audience: default-api
)";

const authz::Policy& FuzzPolicy() {
  static const authz::Policy* policy = [] {
    absl::StatusOr<authz::Policy> parsed = authz::ParsePolicy(kPolicy);
    FUZZ_CHECK(parsed.ok());
    return new authz::Policy(*std::move(parsed));
  }();
  return *policy;
}

const TokenIssuer& Issuer() {
  static const TokenIssuer* issuer =
      new TokenIssuer("https://as.example", FuzzIssuerKeys(), [] { return kNow; });
  return *issuer;
}

// Header values and log lines: no control characters (no header splitting).
bool SafeText(absl::string_view text) {
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return false;
  }
  return true;
}

}  // namespace
}  // namespace oauthd::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace oauthd;
  using namespace oauthd::fuzz;
  const std::vector<absl::string_view> f = SplitFields(AsView(data, size), 5);
  authz::AccessRequest request{std::string(f[0]), std::string(f[1]), std::string(f[2]),
                               std::string(f[3])};

  std::unique_ptr<storage::Store> store = storage::NewMemoryStore([] { return kNow; });
  const bool wants_token = absl::StrContains(request.authorization, "$TOKEN");
  const bool wants_revoked = absl::StrContains(request.authorization, "$REVOKED");
  if (wants_token || wants_revoked) {
    std::vector<std::string> spec = absl::StrSplit(f[4], ' ', absl::SkipEmpty());
    Authorization authorization;
    authorization.client_id = "fuzz-client";
    authorization.subject = "fuzz-client";
    if (!spec.empty()) authorization.audiences = {spec[0]};
    for (size_t i = 1; i < spec.size(); ++i) authorization.scopes.push_back(spec[i]);
    absl::StatusOr<MintedAccessToken> minted = Issuer().Mint(authorization, absl::Minutes(5));
    if (!minted.ok()) return 0;  // e.g. no audience: nothing to present
    if (wants_revoked) FUZZ_CHECK(store->revocations().Revoke(minted->jti, absl::Minutes(5)).ok());
    request.authorization = absl::StrReplaceAll(
        request.authorization, {{"$TOKEN", minted->token}, {"$REVOKED", minted->token}});
  }

  const authz::Decider decider(Issuer(), &FuzzPolicy(), store->revocations(), absl::Seconds(5));
  const authz::AccessDecision decision = decider.Decide(request);

  const int status = decision.http_status;
  FUZZ_CHECK(status == 200 || status == 400 || status == 401 || status == 403 || status == 503);
  FUZZ_CHECK(decision.allowed == (status == 200));
  FUZZ_CHECK(SafeText(decision.www_authenticate) && SafeText(decision.reason));
  if (status == 401) FUZZ_CHECK(absl::StartsWith(decision.www_authenticate, "Bearer"));
  if (!decision.allowed) return 0;

  // Allowed: a canonical path some rule covers, and for a rule that needs a
  // token, a valid unrevoked token with its audience and every scope.
  FUZZ_CHECK(authz::IsCanonicalPath(request.path));
  const authz::Rule* rule = FuzzPolicy().Match(request.host, request.method, request.path);
  FUZZ_CHECK(rule != nullptr);
  if (rule->anonymous) return 0;
  FUZZ_CHECK(!wants_revoked);
  absl::string_view header = absl::StripAsciiWhitespace(request.authorization);
  const size_t space = header.find(' ');
  FUZZ_CHECK(space != absl::string_view::npos);
  std::optional<AccessTokenInfo> info = Issuer().Verify(header.substr(space + 1), absl::Seconds(5));
  FUZZ_CHECK(info.has_value());
  FUZZ_CHECK(std::find(info->aud.begin(), info->aud.end(), rule->audience) != info->aud.end());
  const std::vector<absl::string_view> granted = absl::StrSplit(info->scope, ' ');
  for (const std::string& needed : rule->scopes) {
    FUZZ_CHECK(std::find(granted.begin(), granted.end(), needed) != granted.end());
  }
  FUZZ_CHECK(decision.subject == info->sub && decision.client_id == info->client_id);
  return 0;
}
