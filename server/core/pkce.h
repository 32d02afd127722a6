#ifndef OAUTHD_SERVER_CORE_PKCE_H_
#define OAUTHD_SERVER_CORE_PKCE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace oauthd {

// PKCE, RFC 7636.

// True for 43..128 characters of [A-Za-z0-9-._~] (§4.1 code_verifier, and
// §4.2 for code_challenge, which has the same syntax).
bool IsValidPkceString(absl::string_view s);

// Checks an authorization request's challenge (§4.3). `method` "" means
// "plain" per §4.3. `allow_plain` is the client's switch. Errors are
// invalid_request.
absl::Status ValidateCodeChallenge(absl::string_view challenge,
                                   absl::string_view method, bool allow_plain);

// The normalised method name for storage: "S256" or "plain".
std::string NormalizeChallengeMethod(absl::string_view method);

// S256 transform of a verifier: BASE64URL(SHA256(ASCII(verifier))) (§4.2).
std::string PkceS256(absl::string_view verifier);

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_PKCE_H_
