// Redirect URIs: registration checks and matching (server/core/redirect_uri,
// RFC 6749 §3.1.2, RFC 8252 §7.3, RFC 9700 §4.1.3) and the gateway's
// redirection with the response parameters (RFC 6749 §4.1.2). Input: the
// requested redirect_uri on the first line, registered URIs one per line
// after it; the last line doubles as the state value.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "server/core/redirect_uri.h"
#include "server/gateway/form.h"
#include "server/gateway/redirect.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace oauthd;
  using namespace oauthd::fuzz;
  const std::vector<absl::string_view> lines = SplitFields(AsView(data, size), 8);
  const absl::string_view requested = lines[0];

  std::vector<std::string> registered;
  for (size_t i = 1; i < lines.size(); ++i) {
    if (ValidateRegisteredRedirectUri(lines[i]).ok()) registered.emplace_back(lines[i]);
  }
  std::optional<std::string> match = MatchRedirectUri(registered, requested);
  if (match.has_value()) {
    // The server redirects the browser to `requested`: it must be a URI that
    // registration itself would accept, and no other than the one asked for.
    FUZZ_CHECK(*match == requested);
    FUZZ_CHECK(ValidateRegisteredRedirectUri(*match).ok());
  }

  const gateway::QueryParameters parameters = {{"code", std::string(lines[7])},
                                               {"state", std::string(lines[1])}};
  const std::string redirect = gateway::AppendQueryParameters(requested, parameters);
  FUZZ_CHECK(!absl::StrContains(redirect, '#'));
  FUZZ_CHECK(absl::StartsWith(redirect, requested.substr(0, requested.find('#'))));
  if (!absl::StrContains(requested, '?') && !absl::StrContains(requested, '#')) {
    // The added query decodes to exactly the parameters with a value.
    const size_t question = redirect.find('?');
    absl::StatusOr<gateway::FormParameters> query = gateway::FormParameters::Parse(
        question == std::string::npos ? "" : absl::string_view(redirect).substr(question + 1));
    const bool utf8 = gateway::IsValidUtf8(lines[7]) && gateway::IsValidUtf8(lines[1]);
    if (utf8) {
      FUZZ_CHECK(query.ok());
      FUZZ_CHECK(query->Get("code") == lines[7] && query->Get("state") == lines[1]);
    }
  }
  return 0;
}
