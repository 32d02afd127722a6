// Client authentication at the token, introspection and revocation
// endpoints: the HTTP Basic header (RFC 6749 §2.3.1, RFC 7617) and its
// combination with form credentials. Input: the Authorization header value
// on the first line ("-" alone: no header), the form body after it.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/escaping.h"
#include "server/gateway/client_auth.h"
#include "server/gateway/form.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_input.h"

namespace oauthd::fuzz {
namespace {

void CheckBasic(absl::string_view header) {
  absl::StatusOr<gateway::BasicCredentials> basic = gateway::ParseBasicAuthorization(header);
  if (!basic.ok()) {
    FUZZ_CHECK(absl::IsUnauthenticated(basic.status()));
    return;
  }
  FUZZ_CHECK(!basic->client_id.empty());
  FUZZ_CHECK(gateway::IsValidUtf8(basic->client_id) && gateway::IsValidUtf8(basic->client_secret));
  // What a conforming client sends for these credentials reads back the same.
  const std::string pair =
      gateway::UrlEncode(basic->client_id) + ":" + gateway::UrlEncode(basic->client_secret);
  const std::string canonical = "Basic " + absl::Base64Escape(pair);
  absl::StatusOr<gateway::BasicCredentials> again = gateway::ParseBasicAuthorization(canonical);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->client_id == basic->client_id);
  FUZZ_CHECK(again->client_secret == basic->client_secret);
}

}  // namespace
}  // namespace oauthd::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace oauthd::fuzz;
  const std::vector<absl::string_view> fields = SplitFields(AsView(data, size), 2);
  const absl::string_view header = fields[0];
  CheckBasic(header);

  absl::StatusOr<oauthd::gateway::FormParameters> form =
      oauthd::gateway::FormParameters::Parse(fields[1], {"resource"});
  if (!form.ok()) return 0;
  std::optional<absl::string_view> authorization;
  if (header != "-") authorization = header;
  absl::StatusOr<oauthd::gateway::ClientAuthResult> result =
      oauthd::gateway::ExtractClientAuthentication(authorization, *form);
  if (!result.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(result.status()) ||
               absl::IsUnauthenticated(result.status()));
    return 0;
  }
  FUZZ_CHECK(result->used_authorization_header == authorization.has_value());
  const oauth::v1::ClientAuthentication& client = result->client;
  // RFC 6749 §2.3: never two methods at once.
  FUZZ_CHECK(client.client_secret().empty() || client.client_assertion().empty());
  if (authorization.has_value()) {
    FUZZ_CHECK(client.client_assertion().empty() && client.client_assertion_type().empty());
    FUZZ_CHECK(!form->Has("client_id") || form->Get("client_id") == client.client_id());
  }
  std::string wire;
  FUZZ_CHECK(client.SerializeToString(&wire));
  oauth::v1::ClientAuthentication copy;
  FUZZ_CHECK(copy.ParseFromString(wire));
  return 0;
}
