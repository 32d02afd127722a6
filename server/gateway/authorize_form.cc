#include "server/gateway/authorize_form.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_split.h"

namespace oauthd::gateway {
namespace {

// Single-valued authorization request parameters, in form order.
constexpr absl::string_view kRequestParameters[] = {
    "client_id", "response_type",  "redirect_uri",          "scope",
    "state",     "code_challenge", "code_challenge_method",
};

}  // namespace

oauth::v1::AuthorizeRequest AuthorizeRequestFromForm(const FormParameters& form) {
  oauth::v1::AuthorizeRequest request;
  request.set_client_id(form.Get("client_id"));
  request.set_response_type(form.Get("response_type"));
  request.set_redirect_uri(form.Get("redirect_uri"));
  request.set_scope(form.Get("scope"));
  request.set_state(form.Get("state"));
  request.set_code_challenge(form.Get("code_challenge"));
  request.set_code_challenge_method(form.Get("code_challenge_method"));
  for (std::string& resource : form.GetAll("resource")) {
    request.add_resource(std::move(resource));
  }
  return request;
}

CsrfProtector::Fields AuthorizationRequestFields(const FormParameters& form) {
  CsrfProtector::Fields fields;
  for (absl::string_view name : kRequestParameters) {
    if (form.Has(name)) fields.emplace_back(std::string(name), form.Get(name));
  }
  for (std::string& resource : form.GetAll("resource")) {
    fields.emplace_back("resource", std::move(resource));
  }
  return fields;
}

CsrfProtector::Fields BoundFields(const FormParameters& form) {
  CsrfProtector::Fields fields = AuthorizationRequestFields(form);
  for (absl::string_view name : {kDisplayClientNameField, kDisplayScopesField}) {
    if (form.Has(name)) fields.emplace_back(std::string(name), form.Get(name));
  }
  return fields;
}

std::optional<oauth::v1::AuthorizeRequest> RedirectTargetOfRepeatedRequest(
    absl::string_view encoded) {
  // Each pair parsed alone cannot be "repeated": what fails here is malformed.
  absl::flat_hash_map<std::string, std::vector<std::string>> values;
  for (absl::string_view pair : absl::StrSplit(encoded, '&', absl::SkipEmpty())) {
    absl::StatusOr<FormParameters> one = FormParameters::Parse(pair);
    if (!one.ok()) return std::nullopt;
    for (const auto& [name, value] : one->pairs()) values[name].push_back(value);
  }
  auto single = [&](absl::string_view name) -> const std::string* {
    auto it = values.find(name);
    return it != values.end() && it->second.size() == 1 ? &it->second[0] : nullptr;
  };
  const std::string* client_id = single("client_id");
  if (client_id == nullptr) return std::nullopt;
  const auto redirect_uri = values.find("redirect_uri");
  if (redirect_uri != values.end() && redirect_uri->second.size() > 1) return std::nullopt;
  oauth::v1::AuthorizeRequest request;
  request.set_client_id(*client_id);
  if (const std::string* uri = single("redirect_uri")) request.set_redirect_uri(*uri);
  // A repeated state cannot be echoed: the error goes back without one.
  if (const std::string* state = single("state")) request.set_state(*state);
  return request;
}

bool IsLoginSubmission(const FormParameters& form) {
  return form.Has(kActionField) || form.Has(kCsrfTokenField);
}

}  // namespace oauthd::gateway
