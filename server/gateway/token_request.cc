#include "server/gateway/token_request.h"

namespace oauthd::gateway {

TokenRpc BuildTokenRpc(const FormParameters& form, const oauth::v1::ClientAuthentication& client) {
  const std::string& grant_type = form.Get("grant_type");
  if (grant_type == "refresh_token") {
    oauth::v1::RefreshTokenRequest request;
    *request.mutable_client() = client;
    request.set_refresh_token(form.Get("refresh_token"));
    request.set_scope(form.Get("scope"));
    return request;
  }
  oauth::v1::IssueTokenRequest request;
  *request.mutable_client() = client;
  if (grant_type == "client_credentials") {
    request.mutable_client_credentials()->set_scope(form.Get("scope"));
  } else if (grant_type == "password") {
    oauth::v1::PasswordGrant* grant = request.mutable_password();
    grant->set_username(form.Get("username"));
    grant->set_password(form.Get("password"));
    grant->set_scope(form.Get("scope"));
  } else if (grant_type == "authorization_code") {
    oauth::v1::AuthorizationCodeGrant* grant = request.mutable_authorization_code();
    grant->set_code(form.Get("code"));
    grant->set_redirect_uri(form.Get("redirect_uri"));
    grant->set_code_verifier(form.Get("code_verifier"));
  } else if (grant_type == kDeviceCodeGrantType) {
    request.mutable_device_code()->set_device_code(form.Get("device_code"));
  } else if (!grant_type.empty()) {
    request.set_other_grant_type(grant_type);
  }
  for (std::string& resource : form.GetAll("resource")) {
    request.add_resource(std::move(resource));
  }
  return request;
}

absl::string_view GrantTypeLabel(absl::string_view grant_type) {
  if (grant_type.empty()) return "none";
  if (grant_type == "client_credentials" || grant_type == "password" ||
      grant_type == "authorization_code" || grant_type == "refresh_token") {
    return grant_type;
  }
  if (grant_type == kDeviceCodeGrantType) return "device_code";
  return "other";
}

}  // namespace oauthd::gateway
