// The gateway's application/x-www-form-urlencoded decoder (form.h) and what
// the gateway builds from a decoded form: the token RPC and the
// authorization request. Input: a form body or query string.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>

#include "absl/strings/ascii.h"
#include "google/protobuf/message.h"
#include "server/gateway/authorize_form.h"
#include "server/gateway/form.h"
#include "server/gateway/token_request.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_input.h"

namespace oauthd::fuzz {
namespace {

using gateway::FormParameters;

bool IsUnreservedOrPercent(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
         c == '~' || c == '%';
}

// proto3 strings must be UTF-8; a message that does not survive a round
// trip would be refused by oauthd's gRPC layer, not answered by the gateway.
void CheckRoundTrips(const google::protobuf::Message& message) {
  std::string wire;
  FUZZ_CHECK(message.SerializeToString(&wire));
  std::unique_ptr<google::protobuf::Message> copy(message.New());
  FUZZ_CHECK(copy->ParseFromString(wire));
}

void CheckForm(const FormParameters& form) {
  for (const auto& [name, value] : form.pairs()) {
    // RFC 6749 §3.1: empty means omitted; Appendix B: UTF-8.
    FUZZ_CHECK(!name.empty() && !value.empty());
    FUZZ_CHECK(gateway::IsValidUtf8(name) && gateway::IsValidUtf8(value));
  }
  // Encoding the parsed pairs again gives the same form.
  std::string encoded;
  for (const auto& [name, value] : form.pairs()) {
    if (!encoded.empty()) encoded.push_back('&');
    encoded += gateway::UrlEncode(name) + "=" + gateway::UrlEncode(value);
  }
  absl::StatusOr<FormParameters> again = FormParameters::Parse(encoded, {"resource"});
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->pairs() == form.pairs());

  oauth::v1::ClientAuthentication client;
  client.set_client_id(form.Get("client_id"));
  gateway::TokenRpc rpc = gateway::BuildTokenRpc(form, client);
  std::visit([](const auto& request) { CheckRoundTrips(request); }, rpc);
  CheckRoundTrips(gateway::AuthorizeRequestFromForm(form));
  (void)gateway::AuthorizationRequestFields(form);
  (void)gateway::BoundFields(form);
  (void)gateway::IsLoginSubmission(form);
}

}  // namespace
}  // namespace oauthd::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace oauthd::fuzz;
  const absl::string_view input = AsView(data, size);

  absl::StatusOr<std::string> decoded = oauthd::gateway::FormUrlDecode(input);
  if (decoded.ok()) FUZZ_CHECK(decoded->size() <= input.size());

  // UrlEncode emits only unreserved characters and escapes, and decodes back.
  const std::string encoded = oauthd::gateway::UrlEncode(input);
  for (char c : encoded) FUZZ_CHECK(IsUnreservedOrPercent(c));
  absl::StatusOr<std::string> round_trip = oauthd::gateway::FormUrlDecode(encoded);
  FUZZ_CHECK(round_trip.ok() && *round_trip == input);

  absl::StatusOr<oauthd::gateway::FormParameters> form =
      oauthd::gateway::FormParameters::Parse(input, {"resource"});
  if (form.ok()) CheckForm(*form);
  return 0;
}
