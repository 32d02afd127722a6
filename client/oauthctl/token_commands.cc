// oauthctl token / introspect / revoke / jwks: the token API.

#include <cstdio>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "client/oauthctl/cli.h"
#include "oauth/v1/token.grpc.pb.h"

ABSL_DECLARE_FLAG(std::string, username);
ABSL_DECLARE_FLAG(std::string, password);
ABSL_DECLARE_FLAG(bool, json);

ABSL_FLAG(std::string, client_id, "", "token/introspect/revoke: client id");
ABSL_FLAG(std::string, client_secret, "", "token/introspect/revoke: client secret");
ABSL_FLAG(std::string, grant, "client_credentials",
          "token: client_credentials, password or refresh_token");
ABSL_FLAG(std::string, scope, "", "token: space-delimited scope to request");
ABSL_FLAG(std::string, refresh_token, "", "token --grant=refresh_token: the refresh token");
ABSL_FLAG(std::string, resource, "", "token: comma list of resource indicators (audiences)");
ABSL_FLAG(std::string, token_type_hint, "", "introspect/revoke: access_token or refresh_token");

namespace oauthctl {
namespace {

oauth::v1::TokenService::Stub& Stub() {
  static auto stub = oauth::v1::TokenService::NewStub(Channel());
  return *stub;
}

oauth::v1::ClientAuthentication ClientAuth() {
  oauth::v1::ClientAuthentication auth;
  auth.set_client_id(absl::GetFlag(FLAGS_client_id));
  auth.set_client_secret(absl::GetFlag(FLAGS_client_secret));
  return auth;
}

template <typename Response>
int Finish(const grpc::Status& status, const Response& response) {
  if (!status.ok()) return ReportError(status);
  Print(response);
  return kExitOk;
}

}  // namespace

int RunTokenCommand(const Args&) {
  if (absl::GetFlag(FLAGS_client_id).empty()) return UsageError("token needs --client_id");
  const std::string grant = absl::GetFlag(FLAGS_grant);
  oauth::v1::TokenResponse response;
  auto ctx = NewContext(false);
  if (grant == "refresh_token") {
    oauth::v1::RefreshTokenRequest request;
    *request.mutable_client() = ClientAuth();
    request.set_refresh_token(absl::GetFlag(FLAGS_refresh_token));
    request.set_scope(absl::GetFlag(FLAGS_scope));
    return Finish(Stub().RefreshToken(ctx.get(), request, &response), response);
  }
  oauth::v1::IssueTokenRequest request;
  *request.mutable_client() = ClientAuth();
  for (auto& r : SplitList(absl::GetFlag(FLAGS_resource))) request.add_resource(r);
  if (grant == "client_credentials") {
    request.mutable_client_credentials()->set_scope(absl::GetFlag(FLAGS_scope));
  } else if (grant == "password") {
    auto* p = request.mutable_password();
    p->set_username(absl::GetFlag(FLAGS_username));
    p->set_password(absl::GetFlag(FLAGS_password));
    p->set_scope(absl::GetFlag(FLAGS_scope));
  } else {
    return UsageError("--grant must be client_credentials, password or refresh_token");
  }
  return Finish(Stub().IssueToken(ctx.get(), request, &response), response);
}

int RunIntrospectCommand(const Args& args) {
  if (args.size() < 2) return UsageError("introspect needs a TOKEN");
  oauth::v1::IntrospectRequest request;
  *request.mutable_client() = ClientAuth();
  request.set_token(args[1]);
  request.set_token_type_hint(absl::GetFlag(FLAGS_token_type_hint));
  oauth::v1::IntrospectResponse response;
  auto ctx = NewContext(false);
  grpc::Status status = Stub().Introspect(ctx.get(), request, &response);
  if (!status.ok()) return ReportError(status);
  // Always print `active`, even when false (proto3 JSON would omit it).
  if (!response.active()) {
    std::printf(absl::GetFlag(FLAGS_json) ? "{\"active\":false}\n" : "active: false\n");
    return kExitOk;
  }
  Print(response);
  return kExitOk;
}

int RunRevokeCommand(const Args& args) {
  if (args.size() < 2) return UsageError("revoke needs a TOKEN");
  oauth::v1::RevokeRequest request;
  *request.mutable_client() = ClientAuth();
  request.set_token(args[1]);
  request.set_token_type_hint(absl::GetFlag(FLAGS_token_type_hint));
  oauth::v1::RevokeResponse response;
  auto ctx = NewContext(false);
  grpc::Status status = Stub().Revoke(ctx.get(), request, &response);
  if (!status.ok()) return ReportError(status);
  if (!absl::GetFlag(FLAGS_json)) std::printf("revoked\n");
  else std::printf("{}\n");
  return kExitOk;
}

int RunJwksCommand(const Args&) {
  oauth::v1::GetJwksResponse response;
  auto ctx = NewContext(false);
  return Finish(Stub().GetJwks(ctx.get(), oauth::v1::GetJwksRequest(), &response), response);
}

}  // namespace oauthctl
