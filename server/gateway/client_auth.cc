#include "server/gateway/client_auth.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"

namespace oauthd::gateway {
namespace {

bool IsBase64Char(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
}

// RFC 4648 §4 with padding optional; anything else (whitespace, base64url
// characters, stray '=') is rejected rather than silently skipped.
bool IsStrictBase64(absl::string_view text) {
  size_t end = text.size();
  int padding = 0;
  while (end > 0 && text[end - 1] == '=' && padding < 2) {
    --end;
    ++padding;
  }
  if (end == 0) return false;
  for (size_t i = 0; i < end; ++i) {
    if (!IsBase64Char(text[i])) return false;
  }
  if (padding > 0 && text.size() % 4 != 0) return false;
  return end % 4 != 1;
}

}  // namespace

absl::StatusOr<BasicCredentials> ParseBasicAuthorization(absl::string_view header_value) {
  const absl::string_view value = absl::StripAsciiWhitespace(header_value);
  const size_t space = value.find(' ');
  if (space == absl::string_view::npos ||
      !absl::EqualsIgnoreCase(value.substr(0, space), "basic")) {
    return absl::UnauthenticatedError(
        "unsupported client authentication scheme (use Basic or form parameters)");
  }
  const absl::string_view encoded = absl::StripLeadingAsciiWhitespace(value.substr(space + 1));
  std::string decoded;
  if (!IsStrictBase64(encoded) || !absl::Base64Unescape(encoded, &decoded)) {
    return absl::UnauthenticatedError("malformed Basic credentials");
  }
  const size_t colon = decoded.find(':');
  if (colon == std::string::npos) {
    return absl::UnauthenticatedError("malformed Basic credentials");
  }
  absl::StatusOr<std::string> id = FormUrlDecode(absl::string_view(decoded).substr(0, colon));
  absl::StatusOr<std::string> secret = FormUrlDecode(absl::string_view(decoded).substr(colon + 1));
  if (!id.ok() || !secret.ok() || !IsValidUtf8(*id) || !IsValidUtf8(*secret)) {
    return absl::UnauthenticatedError(
        "malformed Basic credentials (RFC 6749 section 2.3.1: form-urlencode the id and secret)");
  }
  if (id->empty()) return absl::UnauthenticatedError("empty client_id in Basic credentials");
  return BasicCredentials{*std::move(id), *std::move(secret)};
}

absl::StatusOr<ClientAuthResult> ExtractClientAuthentication(
    std::optional<absl::string_view> authorization, const FormParameters& form) {
  ClientAuthResult result;
  const bool form_secret = form.Has("client_secret");
  const bool form_assertion = form.Has("client_assertion") || form.Has("client_assertion_type");
  if (form_secret && form_assertion) {
    return absl::InvalidArgumentError(
        "more than one client authentication method (client_secret and client_assertion)");
  }
  if (authorization.has_value()) {
    result.used_authorization_header = true;
    if (form_secret || form_assertion) {
      return absl::InvalidArgumentError(
          "more than one client authentication method (Authorization header and form "
          "credentials)");
    }
    absl::StatusOr<BasicCredentials> basic = ParseBasicAuthorization(*authorization);
    if (!basic.ok()) return basic.status();
    if (form.Has("client_id") && form.Get("client_id") != basic->client_id) {
      return absl::InvalidArgumentError(
          "client_id in the form differs from the one in the Authorization header");
    }
    result.client.set_client_id(std::move(basic->client_id));
    result.client.set_client_secret(std::move(basic->client_secret));
    result.client.set_client_secret_method("client_secret_basic");
    return result;
  }
  result.client.set_client_id(form.Get("client_id"));
  result.client.set_client_secret(form.Get("client_secret"));
  if (form_secret) result.client.set_client_secret_method("client_secret_post");
  result.client.set_client_assertion_type(form.Get("client_assertion_type"));
  result.client.set_client_assertion(form.Get("client_assertion"));
  return result;
}

}  // namespace oauthd::gateway
