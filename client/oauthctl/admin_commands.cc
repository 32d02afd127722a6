// oauthctl client … / user …: the admin API.

#include <cstdio>

#include "absl/flags/flag.h"
#include "client/oauthctl/cli.h"
#include "oauth/admin/v1/admin.grpc.pb.h"

ABSL_FLAG(std::string, id, "", "client create: client id (generated when empty)");
ABSL_FLAG(std::string, name, "", "client create/update: display name");
ABSL_FLAG(std::string, auth_method, "",
          "client create: client_secret_basic (default), client_secret_post or none");
ABSL_FLAG(std::string, grant_types, "",
          "client create/update: comma list of client_credentials,password,"
          "authorization_code,refresh_token");
ABSL_FLAG(std::string, redirect_uris, "", "client create/update: comma list");
ABSL_FLAG(std::string, scopes, "", "client create/update: allowed scopes, comma list");
ABSL_FLAG(std::string, default_scopes, "", "client create/update: comma list");
ABSL_FLAG(std::string, audiences, "", "client create/update: comma list");
ABSL_FLAG(int64_t, access_token_ttl_seconds, 0, "client create/update: 0 = server default");
ABSL_FLAG(int64_t, refresh_grace_seconds, 0, "client create/update: refresh grace window");
ABSL_FLAG(bool, allow_plain_pkce, false, "client create/update: accept PKCE plain");
ABSL_FLAG(bool, require_pkce, true,
          "client create/update: require PKCE (may be false only for confidential clients)");
ABSL_FLAG(std::string, username, "", "user …, token --grant=password: username");
ABSL_FLAG(std::string, password, "", "user create/set-password, token --grant=password");
ABSL_FLAG(int, page_size, 100, "list: entries per page");
ABSL_FLAG(std::string, page_token, "", "list: continue after this token");

namespace oauthctl {
namespace {

namespace admin = oauth::admin::v1;

admin::AdminService::Stub& Stub() {
  static auto stub = admin::AdminService::NewStub(Channel());
  return *stub;
}

template <typename Call, typename Response>
int Invoke(Call call, Response* response) {
  auto ctx = NewContext(/*admin=*/true);
  grpc::Status status = call(ctx.get(), response);
  if (!status.ok()) return ReportError(status);
  Print(*response);
  return kExitOk;
}

void FillClientFromFlags(admin::Client* c) {
  if (!absl::GetFlag(FLAGS_name).empty()) c->set_client_name(absl::GetFlag(FLAGS_name));
  c->set_token_endpoint_auth_method(absl::GetFlag(FLAGS_auth_method));
  for (auto& g : SplitList(absl::GetFlag(FLAGS_grant_types))) c->add_grant_types(g);
  for (auto& u : SplitList(absl::GetFlag(FLAGS_redirect_uris))) c->add_redirect_uris(u);
  for (auto& s : SplitList(absl::GetFlag(FLAGS_scopes))) c->add_allowed_scopes(s);
  for (auto& s : SplitList(absl::GetFlag(FLAGS_default_scopes))) c->add_default_scopes(s);
  for (auto& a : SplitList(absl::GetFlag(FLAGS_audiences))) c->add_audiences(a);
  c->set_access_token_ttl_seconds(absl::GetFlag(FLAGS_access_token_ttl_seconds));
  c->set_refresh_grace_seconds(absl::GetFlag(FLAGS_refresh_grace_seconds));
  c->set_allow_plain_pkce(absl::GetFlag(FLAGS_allow_plain_pkce));
  if (!absl::GetFlag(FLAGS_require_pkce)) c->set_require_pkce(false);
}

}  // namespace

int RunClientCommand(const Args& args) {
  const std::string verb = args.size() > 1 ? args[1] : "";
  const std::string target = args.size() > 2 ? args[2] : "";
  if (verb == "create") {
    admin::CreateClientRequest request;
    request.mutable_client()->set_client_id(absl::GetFlag(FLAGS_id));
    FillClientFromFlags(request.mutable_client());
    admin::CreateClientResponse response;
    return Invoke([&](grpc::ClientContext* ctx, admin::CreateClientResponse* r) {
      return Stub().CreateClient(ctx, request, r);
    }, &response);
  }
  if (verb == "list") {
    admin::ListClientsRequest request;
    request.set_page_size(absl::GetFlag(FLAGS_page_size));
    request.set_page_token(absl::GetFlag(FLAGS_page_token));
    admin::ListClientsResponse response;
    return Invoke([&](grpc::ClientContext* ctx, admin::ListClientsResponse* r) {
      return Stub().ListClients(ctx, request, r);
    }, &response);
  }
  if (target.empty()) return UsageError("client " + verb + " needs a CLIENT_ID");
  if (verb == "get") {
    admin::GetClientRequest request;
    request.set_client_id(target);
    admin::Client response;
    return Invoke([&](grpc::ClientContext* ctx, admin::Client* r) {
      return Stub().GetClient(ctx, request, r);
    }, &response);
  }
  if (verb == "update") {
    // Replaces the client definition with the flags given (full update).
    admin::UpdateClientRequest request;
    request.mutable_client()->set_client_id(target);
    FillClientFromFlags(request.mutable_client());
    admin::Client response;
    return Invoke([&](grpc::ClientContext* ctx, admin::Client* r) {
      return Stub().UpdateClient(ctx, request, r);
    }, &response);
  }
  if (verb == "delete") {
    admin::DeleteClientRequest request;
    request.set_client_id(target);
    admin::DeleteClientResponse response;
    return Invoke([&](grpc::ClientContext* ctx, admin::DeleteClientResponse* r) {
      return Stub().DeleteClient(ctx, request, r);
    }, &response);
  }
  if (verb == "rotate-secret") {
    admin::RotateClientSecretRequest request;
    request.set_client_id(target);
    admin::CreateClientResponse response;
    return Invoke([&](grpc::ClientContext* ctx, admin::CreateClientResponse* r) {
      return Stub().RotateClientSecret(ctx, request, r);
    }, &response);
  }
  return UsageError("client needs create|get|list|update|delete|rotate-secret");
}

int RunUserCommand(const Args& args) {
  const std::string verb = args.size() > 1 ? args[1] : "";
  std::string username = args.size() > 2 ? args[2] : absl::GetFlag(FLAGS_username);
  if (verb == "list") {
    admin::ListUsersRequest request;
    request.set_page_size(absl::GetFlag(FLAGS_page_size));
    request.set_page_token(absl::GetFlag(FLAGS_page_token));
    admin::ListUsersResponse response;
    return Invoke([&](grpc::ClientContext* ctx, admin::ListUsersResponse* r) {
      return Stub().ListUsers(ctx, request, r);
    }, &response);
  }
  if (username.empty()) return UsageError("user " + verb + " needs a USERNAME");
  admin::User response;
  if (verb == "create") {
    admin::CreateUserRequest request;
    request.set_username(username);
    request.set_password(absl::GetFlag(FLAGS_password));
    return Invoke([&](grpc::ClientContext* ctx, admin::User* r) {
      return Stub().CreateUser(ctx, request, r);
    }, &response);
  }
  if (verb == "get") {
    admin::GetUserRequest request;
    request.set_username(username);
    return Invoke([&](grpc::ClientContext* ctx, admin::User* r) {
      return Stub().GetUser(ctx, request, r);
    }, &response);
  }
  if (verb == "disable" || verb == "enable") {
    admin::SetUserDisabledRequest request;
    request.set_username(username);
    request.set_disabled(verb == "disable");
    return Invoke([&](grpc::ClientContext* ctx, admin::User* r) {
      return Stub().SetUserDisabled(ctx, request, r);
    }, &response);
  }
  if (verb == "set-password") {
    admin::SetUserPasswordRequest request;
    request.set_username(username);
    request.set_password(absl::GetFlag(FLAGS_password));
    return Invoke([&](grpc::ClientContext* ctx, admin::User* r) {
      return Stub().SetUserPassword(ctx, request, r);
    }, &response);
  }
  if (verb == "delete") {
    admin::DeleteUserRequest request;
    request.set_username(username);
    admin::DeleteUserResponse deleted;
    return Invoke([&](grpc::ClientContext* ctx, admin::DeleteUserResponse* r) {
      return Stub().DeleteUser(ctx, request, r);
    }, &deleted);
  }
  return UsageError("user needs create|get|list|disable|enable|set-password|delete");
}

}  // namespace oauthctl
