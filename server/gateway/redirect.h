#ifndef OAUTHD_SERVER_GATEWAY_REDIRECT_H_
#define OAUTHD_SERVER_GATEWAY_REDIRECT_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace oauthd::gateway {

using QueryParameters = std::vector<std::pair<std::string, std::string>>;

// Adds `parameters` to the query of `uri` for an authorization response (RFC
// 6749 §4.1.2 and §4.1.2.1: "retaining any existing query component"). Each
// name and value is percent-encoded (UrlEncode); parameters with an empty
// value are left out (no `state=` when the request had none). A fragment,
// which a redirection URI must not have (§3.1.2), is dropped.
//
// Example:
//   AppendQueryParameters("https://app/cb?x=1", {{"code", "a b"}})
//     == "https://app/cb?x=1&code=a%20b"
std::string AppendQueryParameters(absl::string_view uri, const QueryParameters& parameters);

}  // namespace oauthd::gateway

#endif  // OAUTHD_SERVER_GATEWAY_REDIRECT_H_
