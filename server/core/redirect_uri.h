#ifndef OAUTHD_SERVER_CORE_REDIRECT_URI_H_
#define OAUTHD_SERVER_CORE_REDIRECT_URI_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace oauthd {

// Checks a redirect URI at client registration (RFC 6749 §3.1.2): absolute,
// no fragment, at most 2048 bytes, no whitespace or control characters.
// http is accepted only for loopback IP literals (RFC 8252 §7.3); other
// schemes are https or a private-use scheme containing a '.' (RFC 8252 §7.1).
absl::Status ValidateRegisteredRedirectUri(absl::string_view uri);

// Returns the registered URI that `requested` matches, or nullopt.
//
// Matching is exact string comparison (RFC 9700 §4.1.3), with one exception
// from RFC 8252 §7.3: for a registered `http://127.0.0.1/...` or
// `http://[::1]/...` URI, any port in the request matches as long as
// everything else is identical.
std::optional<std::string> MatchRedirectUri(
    const std::vector<std::string>& registered, absl::string_view requested);

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_REDIRECT_URI_H_
