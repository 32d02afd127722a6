// Refresh tokens ("<family>.<secret>"), authorization codes and the ids
// inside tokens (timed ids: jti, grant_id): their parsers, and the token
// endpoint's answer to a presented code or refresh token (server/core on the
// memory store). Nothing guessed may be redeemed, refreshed, or reported
// active. Input: the presented string; after a first '\n' it also serves as
// a sealed grace-window successor for OpenSuccessor.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/time/time.h"
#include "server/core/client_admin.h"
#include "server/core/oauth_error.h"
#include "server/core/oauth_service.h"
#include "server/core/refresh_token_format.h"
#include "server/core/timed_id.h"
#include "server/core/token_issuer.h"
#include "server/jose/json_writer.h"
#include "storage/memory/memory_store.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/fuzz_keys.h"

namespace oauthd::fuzz {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1700000000);

bool IsBase64UrlChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
}

bool AllBase64Url(absl::string_view s) {
  for (char c : s) {
    if (!IsBase64UrlChar(c)) return false;
  }
  return true;
}

void CheckParsers(absl::string_view input) {
  std::optional<ParsedRefreshToken> refresh = ParseRefreshToken(input);
  if (refresh.has_value()) {
    FUZZ_CHECK(input.size() == 22 + 1 + 43 && input[22] == '.');
    FUZZ_CHECK(refresh->family_id == input.substr(0, 22));
    FUZZ_CHECK(AllBase64Url(input.substr(0, 22)) && AllBase64Url(input.substr(23)));
    // A new token of that family parses to the same family.
    std::optional<ParsedRefreshToken> fresh =
        ParseRefreshToken(NewRefreshToken(refresh->family_id));
    FUZZ_CHECK(fresh.has_value() && fresh->family_id == refresh->family_id);
  }
  std::optional<int64_t> instant = TimedIdInstantMs(input);
  if (instant.has_value()) {
    FUZZ_CHECK(input.size() == 22 && AllBase64Url(input));
    FUZZ_CHECK(*instant >= 0 && *instant < (int64_t{1} << 48));
    if (*instant > 0) FUZZ_CHECK(TimedIdInstantMs(NewTimedId(*instant)) == instant);
  }
  const std::vector<absl::string_view> parts = SplitFields(input, 2);
  // AES-GCM: no input opens without the sealing token's key...
  FUZZ_CHECK(!OpenSuccessor(parts[0], parts[1]).has_value());
  // ...and a real sealing (of a non-empty successor) opens only with its own
  // token.
  if (parts[1].empty()) return;
  const std::string sealed = SealSuccessor(parts[0], parts[1]);
  FUZZ_CHECK(OpenSuccessor(parts[0], sealed) == std::string(parts[1]));
  FUZZ_CHECK(!OpenSuccessor(std::string(parts[0]) + "x", sealed).has_value());
}

// Stateless, so one serves every input.
const TokenIssuer& Issuer() {
  static const TokenIssuer* issuer =
      new TokenIssuer("https://as.example", FuzzIssuerKeys(), [] { return kNow; });
  return *issuer;
}

// A token endpoint with one confidential client that may use every grant,
// fresh for every input so that no input depends on an earlier one.
struct Endpoint {
  Endpoint() {
    config.issuer = "https://as.example";
    Clock clock = [] { return kNow; };
    store = storage::NewMemoryStore(clock);
    service = std::make_unique<OAuthService>(config, *store, Issuer(), clock);
    ClientAdmin admin(config, *store, service->clients(), clock);
    oauth::admin::v1::CreateClientRequest request;
    oauth::admin::v1::Client& c = *request.mutable_client();
    c.set_client_id("fuzz-client");
    for (const char* grant : {"authorization_code", "refresh_token", "client_credentials"}) {
      c.add_grant_types(grant);
    }
    c.add_redirect_uris("https://app.example/cb");
    c.add_allowed_scopes("read");
    absl::StatusOr<oauth::admin::v1::CreateClientResponse> created = admin.Create(request);
    FUZZ_CHECK(created.ok());
    client.set_client_id("fuzz-client");
    client.set_client_secret(created->client_secret());
  }

  ServerConfig config;
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<OAuthService> service;
  oauth::v1::ClientAuthentication client;
};

void CheckEndpoint(const std::string& presented) {
  Endpoint endpoint;
  oauth::v1::IssueTokenRequest code_request;
  *code_request.mutable_client() = endpoint.client;
  code_request.mutable_authorization_code()->set_code(presented);
  code_request.mutable_authorization_code()->set_redirect_uri("https://app.example/cb");
  absl::StatusOr<oauth::v1::TokenResponse> issued = endpoint.service->IssueToken(code_request);
  FUZZ_CHECK(!issued.ok());
  const std::string code_error = ToOAuthError(issued.status()).error();
  FUZZ_CHECK(code_error == "invalid_grant" || code_error == "invalid_request");

  oauth::v1::RefreshTokenRequest refresh_request;
  *refresh_request.mutable_client() = endpoint.client;
  refresh_request.set_refresh_token(presented);
  absl::StatusOr<oauth::v1::TokenResponse> refreshed =
      endpoint.service->RefreshToken(refresh_request);
  FUZZ_CHECK(!refreshed.ok());
  const std::string refresh_error = ToOAuthError(refreshed.status()).error();
  FUZZ_CHECK(refresh_error == "invalid_grant" || refresh_error == "invalid_request");

  oauth::v1::IntrospectRequest introspect;
  *introspect.mutable_client() = endpoint.client;
  introspect.set_token(presented);
  absl::StatusOr<oauth::v1::IntrospectResponse> info = endpoint.service->Introspect(introspect);
  FUZZ_CHECK(!info.ok() || !info->active());

  // RFC 7009 §2.2: an unknown token is answered like a revoked one.
  oauth::v1::RevokeRequest revoke;
  *revoke.mutable_client() = endpoint.client;
  revoke.set_token(presented);
  absl::StatusOr<oauth::v1::RevokeResponse> revoked = endpoint.service->Revoke(revoke);
  FUZZ_CHECK(revoked.ok() || ToOAuthError(revoked.status()).error() == "invalid_request");
}

}  // namespace
}  // namespace oauthd::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace oauthd::fuzz;
  const absl::string_view input = AsView(data, size);
  CheckParsers(input);
  // proto3 strings are UTF-8: anything else never reaches oauthd over gRPC.
  if (oauthd::jose::IsValidUtf8(input)) CheckEndpoint(std::string(input));
  return 0;
}
