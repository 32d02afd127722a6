#include "server/gateway/authorize_form.h"

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

bool IsLoginSubmission(const FormParameters& form) {
  return form.Has(kActionField) || form.Has(kCsrfTokenField);
}

}  // namespace oauthd::gateway
