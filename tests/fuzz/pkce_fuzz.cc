// PKCE (RFC 7636): the challenge check at the authorization endpoint and the
// verifier check at code redemption, through the real memory code store (the
// Redis store's Lua script does the same comparison; the storage conformance
// suite holds both to it). Input lines: code_challenge,
// code_challenge_method, code_verifier, and "plain" to let the client use
// the plain method.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/time/time.h"
#include "server/core/hashing.h"
#include "server/core/pkce.h"
#include "storage/memory/memory_store.h"
#include "storage/store.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_input.h"

namespace oauthd::fuzz {
namespace {

bool IsVerifierChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
         c == '~';
}

// RFC 7636 §4.1, written out independently of IsValidPkceString.
bool ConformingVerifier(absl::string_view v) {
  if (v.size() < 43 || v.size() > 128) return false;
  for (char c : v) {
    if (!IsVerifierChar(c)) return false;
  }
  return true;
}

}  // namespace
}  // namespace oauthd::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace oauthd;
  using namespace oauthd::fuzz;
  const std::vector<absl::string_view> f = SplitFields(AsView(data, size), 4);
  const absl::string_view challenge = f[0], method = f[1], verifier = f[2];
  const bool allow_plain = f[3] == "plain";

  FUZZ_CHECK(IsValidPkceString(verifier) == ConformingVerifier(verifier));
  FUZZ_CHECK(IsValidPkceString(challenge) == ConformingVerifier(challenge));
  const absl::Status accepted = ValidateCodeChallenge(challenge, method, allow_plain);
  const std::string normalized = NormalizeChallengeMethod(method);
  if (accepted.ok()) {
    FUZZ_CHECK(ConformingVerifier(challenge));
    FUZZ_CHECK(normalized == "S256" || (normalized == "plain" && allow_plain));
  } else {
    FUZZ_CHECK(!accepted.message().empty());
    return 0;
  }
  // The token endpoint refuses a malformed verifier before redemption.
  if (!verifier.empty() && !IsValidPkceString(verifier)) return 0;

  absl::Time now = absl::FromUnixSeconds(1700000000);
  std::unique_ptr<storage::Store> store = storage::NewMemoryStore([&now] { return now; });
  storage::AuthorizationCode code;
  code.client_id = "client";
  code.redirect_uri = "https://app.example/cb";
  code.code_challenge = std::string(challenge);
  code.code_challenge_method = normalized;
  code.subject = "u_subject";
  const std::string key = Sha256Hex("code");
  FUZZ_CHECK(store->codes().Save(key, code, absl::Seconds(60)).ok());

  storage::CodeRedemption redemption;
  redemption.client_id = "client";
  redemption.redirect_uri = code.redirect_uri;
  redemption.code_verifier = std::string(verifier);
  if (!verifier.empty()) redemption.code_verifier_s256 = PkceS256(verifier);
  absl::StatusOr<storage::RedeemResult> result = store->codes().Redeem(key, redemption);
  FUZZ_CHECK(result.ok());
  // RFC 7636 §4.6: S256 compares BASE64URL(SHA256(verifier)), plain the
  // verifier itself; a verifier is required.
  const bool expected = !verifier.empty() && (normalized == "S256"
                                                  ? PkceS256(verifier) == challenge
                                                  : verifier == challenge);
  FUZZ_CHECK((result->outcome == storage::RedeemResult::Outcome::kRedeemed) == expected);
  return 0;
}
