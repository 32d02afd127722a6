#include "server/core/pkce.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "server/core/hashing.h"
#include "server/core/oauth_error.h"

namespace oauthd {

bool IsValidPkceString(absl::string_view s) {
  if (s.size() < 43 || s.size() > 128) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' ||
           c == '.' || c == '_' || c == '~';
  });
}

std::string NormalizeChallengeMethod(absl::string_view method) {
  return method.empty() ? "plain" : std::string(method);
}

absl::Status ValidateCodeChallenge(absl::string_view challenge,
                                   absl::string_view method, bool allow_plain) {
  const std::string m = NormalizeChallengeMethod(method);
  if (m != "S256" && m != "plain") {
    return InvalidRequest("code_challenge_method must be S256");
  }
  if (m == "plain" && !allow_plain) {
    return InvalidRequest("code_challenge_method must be S256 for this client");
  }
  if (!IsValidPkceString(challenge)) {
    return InvalidRequest("code_challenge must be 43-128 characters of [A-Za-z0-9-._~]");
  }
  return absl::OkStatus();
}

std::string PkceS256(absl::string_view verifier) {
  return Sha256Base64Url(verifier);
}

}  // namespace oauthd
