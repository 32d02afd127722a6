// JWS compact parsing and verification (RFC 7515): the server's
// jose::KeySet::VerifyJwt and the client library's Verifier, which resource
// servers run on every request. Input, first byte:
//   'c' -- the rest is a compact JWS, verified as sent: it must never verify
//          (the keys are made at start-up; no input can hold a signature);
//   's' -- the next byte picks a key ('r' RS256, 'e' ES256, else EdDSA), then
//          a header JSON line and the claims JSON: the target signs them, so
//          the parse after the signature check is reached too.
// Anything else is treated as 'c' with the whole input.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "client/lib/authorization_server.h"
#include "client/lib/verifier.h"
#include "server/jose/base64url.h"
#include "server/jose/jwt_validation.h"
#include "server/jose/key_set.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/fuzz_keys.h"

namespace oauthd::fuzz {
namespace {

constexpr absl::string_view kIssuer = "https://as.example";
constexpr absl::string_view kAudience = "api";
const absl::Time kNow = absl::FromUnixSeconds(1700000000);

// Serves the fuzz keys as oauthd's JWKS; nothing else is called because the
// verifier runs offline.
class KeysOnlyServer final : public client::AuthorizationServer {
 public:
  absl::StatusOr<oauth::v1::TokenResponse> IssueToken(
      const oauth::v1::IssueTokenRequest&) override {
    return absl::UnimplementedError("offline");
  }
  absl::StatusOr<oauth::v1::GetJwksResponse> GetJwks() override { return FuzzJwks(); }
  absl::StatusOr<oauth::v1::IntrospectResponse> Introspect(
      const oauth::v1::IntrospectRequest&) override {
    return absl::UnimplementedError("offline");
  }
};

client::Verifier& ClientVerifier() {
  static const std::shared_ptr<client::Verifier>* verifier = [] {
    client::VerifierOptions options;
    options.issuer = std::string(kIssuer);
    options.audience = std::string(kAudience);
    options.clock = [] { return kNow; };
    absl::StatusOr<std::shared_ptr<client::Verifier>> created =
        client::Verifier::Create(std::make_shared<KeysOnlyServer>(), options);
    FUZZ_CHECK(created.ok());
    return new std::shared_ptr<client::Verifier>(*std::move(created));
  }();
  return **verifier;
}

// Error messages may be logged: one line of printable text.
void CheckMessage(absl::string_view message) {
  for (char c : message) FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
}

// Verifies `token` every way; returns whether the server's KeySet accepted
// it, and checks that all ways agree.
bool VerifyEveryWay(absl::string_view token) {
  const jose::KeySet& keys = FuzzKeySet();
  absl::StatusOr<jose::VerifiedJwt> full = keys.VerifyJwt(token);
  jose::VerifyJwtOptions fast_options;
  fast_options.keep_payload = false;
  absl::StatusOr<jose::VerifiedJwt> fast = keys.VerifyJwt(token, fast_options);
  FUZZ_CHECK(full.ok() == fast.ok());
  if (!full.ok()) {
    FUZZ_CHECK(full.status() == fast.status());
    FUZZ_CHECK(absl::IsInvalidArgument(full.status()) || absl::IsUnauthenticated(full.status()));
    CheckMessage(full.status().message());
  } else {
    FUZZ_CHECK(full->header.alg == fast->header.alg && full->header.kid == fast->header.kid);
    FUZZ_CHECK(full->claims.jti == fast->claims.jti && full->claims.exp == fast->claims.exp &&
               full->claims.aud == fast->claims.aud && full->claims.scope == fast->claims.scope);
    absl::Status claims = jose::ValidateAccessTokenClaims(*full, kIssuer, kNow, absl::Seconds(30));
    CheckMessage(claims.message());
  }

  client::VerifyResult result = ClientVerifier().Verify(token);
  if (result.ok()) {
    // The client accepts only what the server's parser accepts, validly.
    FUZZ_CHECK(full.ok());
    FUZZ_CHECK(jose::ValidateAccessTokenClaims(*full, kIssuer, kNow, absl::Seconds(30)).ok());
    FUZZ_CHECK(jose::ValidateAudience(*full, kAudience).ok());
  } else {
    CheckMessage(result.error().message);
  }
  return full.ok();
}

}  // namespace
}  // namespace oauthd::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace oauthd;
  using namespace oauthd::fuzz;
  absl::string_view input = AsView(data, size);
  if (input.size() < 2 || input[0] != 's') {
    if (!input.empty() && input[0] == 'c') input.remove_prefix(1);
    // Nothing the fuzzer writes can carry a signature by a key made at start.
    FUZZ_CHECK(!VerifyEveryWay(input));
    return 0;
  }
  const size_t index = input[1] == 'r' ? 0 : input[1] == 'e' ? 1 : 2;
  const std::vector<absl::string_view> parts = SplitFields(input.substr(2), 2);
  const std::string signing_input =
      absl::StrCat(jose::Base64UrlEncode(parts[0]), ".", jose::Base64UrlEncode(parts[1]));
  absl::StatusOr<std::string> signature = FuzzSigningKeys()[index]->Sign(signing_input);
  FUZZ_CHECK(signature.ok());
  const std::string token = absl::StrCat(signing_input, ".", jose::Base64UrlEncode(*signature));
  const bool verified = VerifyEveryWay(token);
  if (verified) {
    // Signed by key `index`, so only that key can have verified it.
    absl::StatusOr<jose::VerifiedJwt> jwt = FuzzKeySet().VerifyJwt(token);
    FUZZ_CHECK(jwt->header.kid == FuzzKids()[index]);
  }
  if (index == 1) {
    // ES256 signatures are low-S; the high-S twin (R, n - S) never verifies.
    FUZZ_CHECK(signature->size() == 64);
    const std::string twin = HighSTwin(*signature);
    FUZZ_CHECK(!FuzzKeySet()
                    .VerifyJwt(absl::StrCat(signing_input, ".", jose::Base64UrlEncode(twin)))
                    .ok());
  }
  return 0;
}
