// The device authorization grant's codes (RFC 8628): what a user types on
// the /device page (the query or form body as the gateway decodes it, then
// NormalizeUserCode and the lookup in OAuthService::VerifyDevice), the
// device_code a device polls /token with (DeviceCodeGrant), the pages that
// echo the typed code, and the CSRF binding of the confirm form. Core runs on
// a fresh memory store per input with one started device authorization.
// Input: '\n'-separated fields:
//   flags      -- 'a' approve, 'd' deny (else only look the code up); 'w' the
//                 wrong password when approving;
//   form       -- the /device query or POST body ("user_code=...");
//   device     -- the device_code presented at /token.
// "$CODE" becomes the user code as shown (XXXX-XXXX), "$code" the same in
// lower case, "$DEVICE" the real device code, so seeds reach the matches.

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
#include "absl/time/time.h"
#include "server/core/client_admin.h"
#include "server/core/device_authorization.h"
#include "server/core/oauth_error.h"
#include "server/core/oauth_service.h"
#include "server/core/token_issuer.h"
#include "server/core/user_admin.h"
#include "server/core/user_code.h"
#include "server/gateway/csrf.h"
#include "server/gateway/device_page.h"
#include "server/gateway/form.h"
#include "storage/memory/memory_store.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/fuzz_keys.h"

namespace oauthd::fuzz {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1700000000);
constexpr absl::string_view kPassword = "correct horse";

const TokenIssuer& Issuer() {
  static const TokenIssuer* issuer =
      new TokenIssuer("https://as.example", FuzzIssuerKeys(), [] { return kNow; });
  return *issuer;
}

// A public device client "tv", user "alice", and one pending authorization.
struct DeviceFlow {
  DeviceFlow() {
    config.issuer = "https://as.example";
    // The cheapest scrypt cost: hashing is not what is fuzzed here.
    config.password_hashing.log2_n = 1;
    config.password_hashing.r = 1;
    Clock clock = [] { return kNow; };
    store = storage::NewMemoryStore(clock);
    service = std::make_unique<OAuthService>(config, *store, Issuer(), clock);
    ClientAdmin admin(config, *store, service->clients(), clock);
    oauth::admin::v1::CreateClientRequest request;
    oauth::admin::v1::Client& c = *request.mutable_client();
    c.set_client_id("tv");
    c.set_token_endpoint_auth_method("none");
    c.add_grant_types(std::string(kDeviceCodeGrantType));
    c.add_allowed_scopes("tv");
    c.add_default_scopes("tv");
    FUZZ_CHECK(admin.Create(request).ok());
    FUZZ_CHECK(UserAdmin(config, *store, clock).Create("alice", std::string(kPassword)).ok());
    client.set_client_id("tv");
    oauth::v1::DeviceAuthorizeRequest start;
    *start.mutable_client() = client;
    absl::StatusOr<oauth::v1::DeviceAuthorizeResponse> started = service->DeviceAuthorize(start);
    FUZZ_CHECK(started.ok());
    started_ = *std::move(started);
  }

  const std::string& shown_code() const { return started_.user_code(); }
  const std::string& device_code() const { return started_.device_code(); }

  absl::StatusOr<oauth::v1::TokenResponse> Poll(const std::string& device_code) {
    oauth::v1::IssueTokenRequest r;
    *r.mutable_client() = client;
    r.mutable_device_code()->set_device_code(device_code);
    return service->IssueToken(r);
  }

  ServerConfig config;
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<OAuthService> service;
  oauth::v1::ClientAuthentication client;

 private:
  oauth::v1::DeviceAuthorizeResponse started_;
};

// RFC 8628 §6.1 as documented in user_code.h, read independently: drop
// dashes and spaces, compare the rest case-insensitively with the alphabet.
std::optional<std::string> ExpectedCanonical(absl::string_view typed) {
  if (typed.size() > 64) return std::nullopt;
  std::string out;
  for (char c : typed) {
    if (c == '-' || c == ' ') continue;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (!absl::StrContains(kUserCodeAlphabet, std::string(1, c))) return std::nullopt;
    out.push_back(c);
  }
  if (out.size() != kUserCodeLength) return std::nullopt;
  return out;
}

void CheckNormalization(absl::string_view typed) {
  const std::optional<std::string> canonical = NormalizeUserCode(typed);
  FUZZ_CHECK(canonical == ExpectedCanonical(typed));
  if (!canonical) return;
  // Idempotent, and the display form and its lower case read back the same.
  FUZZ_CHECK(NormalizeUserCode(*canonical) == canonical);
  const std::string shown = FormatUserCode(*canonical);
  FUZZ_CHECK(shown.size() == kUserCodeLength + 1 && shown[4] == '-');
  FUZZ_CHECK(NormalizeUserCode(shown) == canonical);
  FUZZ_CHECK(NormalizeUserCode(absl::AsciiStrToLower(shown)) == canonical);
}

size_t Count(absl::string_view s, char c) { return static_cast<size_t>(std::count(s.begin(), s.end(), c)); }

// Markup must not depend on what the user typed: every typed string escaped,
// so the page has the tags and quotes of the same page with a plain value.
void CheckPagesEscape(const std::string& typed) {
  auto same_markup = [](absl::string_view a, absl::string_view b) {
    for (char c : {'<', '>', '"', '\''}) FUZZ_CHECK(Count(a, c) == Count(b, c));
  };
  auto code_page = [](const std::string& value) {
    gateway::DeviceCodePageModel page;
    page.user_code = value;
    page.message = value;
    return gateway::RenderDeviceCodePage(page);
  };
  same_markup(code_page(typed), code_page("x"));
  auto confirm_page = [](const std::string& value) {
    gateway::DeviceConfirmPageModel page;
    page.client_name = value;
    page.client_id = value;
    page.scopes = {value};
    page.user_code = value;
    page.hidden_fields = {{std::string(gateway::kUserCodeField), value}};
    page.username = value;
    page.message = value;
    return gateway::RenderDeviceConfirmPage(page);
  };
  same_markup(confirm_page(typed), confirm_page("x"));
}

bool IsError(const absl::Status& status, absl::string_view error) {
  return !status.ok() && ToOAuthError(status).error() == error;
}

}  // namespace
}  // namespace oauthd::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace oauthd;
  using namespace oauthd::fuzz;
  using oauth::v1::VerifyDeviceRequest;
  if (size > 4096) return 0;
  const std::vector<absl::string_view> fields = SplitFields(AsView(data, size), 3);
  const absl::string_view flags = fields[0];

  DeviceFlow flow;
  const std::string shown = flow.shown_code();
  const std::optional<std::string> real = NormalizeUserCode(shown);
  FUZZ_CHECK(real.has_value() && FormatUserCode(*real) == shown);
  auto expand = [&](absl::string_view field) {
    return absl::StrReplaceAll(field, {{"$CODE", shown},
                                       {"$code", absl::AsciiStrToLower(shown)},
                                       {"$DEVICE", flow.device_code()}});
  };

  // What the gateway does with GET /device?... and the POSTed form.
  absl::StatusOr<gateway::FormParameters> form =
      gateway::FormParameters::Parse(expand(fields[1]), {});
  const std::string typed = form.ok() ? form->Get(std::string(gateway::kUserCodeField)) : "";
  CheckNormalization(typed);
  CheckNormalization(fields[1]);  // the raw bytes too
  if (!typed.empty()) CheckPagesEscape(typed);

  // The confirm form binds the code it showed: only that exact string posts.
  const gateway::CsrfProtector csrf(std::string(32, 'k'), absl::Minutes(10));
  const std::string nonce(43, 'n');
  const std::string token =
      csrf.Issue(nonce, {{std::string(gateway::kUserCodeField), shown}}, kNow);
  FUZZ_CHECK(csrf.Verify(token, nonce, {{std::string(gateway::kUserCodeField), typed}}, kNow) ==
             (typed == shown));

  // The lookup: a code matches exactly when it normalizes to the real one.
  VerifyDeviceRequest verify;
  verify.set_user_code(typed);
  const bool approve = (flags.find('a') != absl::string_view::npos);
  const bool deny = !approve && (flags.find('d') != absl::string_view::npos);
  const bool wrong_password = (flags.find('w') != absl::string_view::npos);
  if (approve) {
    verify.set_decision(VerifyDeviceRequest::APPROVE);
    verify.mutable_login()->set_username("alice");
    verify.mutable_login()->set_password(wrong_password ? "wrong" : std::string(kPassword));
  } else if (deny) {
    verify.set_decision(VerifyDeviceRequest::DENY);
  }
  RequestContext context;
  context.source_address = "192.0.2.1";
  absl::StatusOr<oauth::v1::VerifyDeviceResponse> verified =
      flow.service->VerifyDevice(verify, context);
  const bool matches = NormalizeUserCode(typed) == real;
  if (verified.ok()) {
    FUZZ_CHECK(matches);
    FUZZ_CHECK(verified->user_code() == shown && verified->client_id() == "tv");
    FUZZ_CHECK(!(approve && wrong_password));
  } else {
    const std::string error = ToOAuthError(verified.status()).error();
    FUZZ_CHECK(error == "invalid_grant" || error == "invalid_request");
    FUZZ_CHECK(!matches || (approve && wrong_password));
  }
  const bool approved = verified.ok() && approve;
  const bool denied = verified.ok() && deny;

  // The poll: only the real device code is known, and it tells the state.
  const std::string presented = expand(fields[2]);
  absl::StatusOr<oauth::v1::TokenResponse> polled = flow.Poll(presented);
  if (presented.empty()) {
    FUZZ_CHECK(IsError(polled.status(), "invalid_request"));
  } else if (presented != flow.device_code()) {
    FUZZ_CHECK(IsError(polled.status(), "invalid_grant"));
  } else if (approved) {
    FUZZ_CHECK(polled.ok() && !polled->access_token().empty());
    // Redeemed once.
    FUZZ_CHECK(IsError(flow.Poll(presented).status(), "invalid_grant"));
  } else if (denied) {
    FUZZ_CHECK(IsError(polled.status(), "access_denied"));
  } else {
    FUZZ_CHECK(IsError(polled.status(), "authorization_pending"));
  }
  return 0;
}
