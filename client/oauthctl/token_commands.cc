// oauthctl token / introspect / revoke / jwks: the token API.

#include <cstdio>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "client/lib/client_assertion.h"
#include "client/oauthctl/cli.h"
#include "client/oauthctl/command_line.h"
#include "client/oauthctl/output.h"
#include "oauth/v1/token.grpc.pb.h"

ABSL_DECLARE_FLAG(std::string, username);
ABSL_DECLARE_FLAG(std::string, password);

ABSL_FLAG(std::string, client_id, "", "client id");
ABSL_FLAG(std::string, client_secret, "", "client secret (none for a public client)");
ABSL_FLAG(std::string, private_key_file, "",
          "authenticate with private_key_jwt (RFC 7523) signed by this PEM private key "
          "instead of a secret");
ABSL_FLAG(std::string, grant, "client_credentials",
          "client_credentials, password or refresh_token");
ABSL_FLAG(std::string, scope, "",
          "scopes to request, separated by spaces or commas (default: the client's)");
ABSL_FLAG(std::string, refresh_token, "", "with --grant=refresh_token: the refresh token");
ABSL_FLAG(std::string, resource, "", "comma list of resource indicators (audiences)");
ABSL_FLAG(std::string, token_type_hint, "", "access_token or refresh_token");

namespace oauthctl {
namespace {

oauth::v1::TokenService::Stub& Stub() {
  static auto stub = oauth::v1::TokenService::NewStub(Channel());
  return *stub;
}

// Fills `auth` from --client_id and --client_secret, or --private_key_file
// (private_key_jwt: a fresh assertion whose aud is the issuer oauthd names in
// its metadata). Returns kExitOk, or the exit code after printing why not.
int ClientAuth(oauth::v1::ClientAuthentication* auth) {
  auth->set_client_id(absl::GetFlag(FLAGS_client_id));
  const std::string key_file = absl::GetFlag(FLAGS_private_key_file);
  if (key_file.empty()) {
    auth->set_client_secret(absl::GetFlag(FLAGS_client_secret));
    return kExitOk;
  }
  // A secret from OAUTHCTL_CLIENT_SECRET is ignored: the key replaces it.
  if (FlagGiven("client_secret")) {
    return UsageError("give --client_secret or --private_key_file, not both");
  }
  oauth::v1::ServerMetadata metadata;
  auto ctx = NewContext(false);
  grpc::Status status =
      Stub().GetServerMetadata(ctx.get(), oauth::v1::GetServerMetadataRequest(), &metadata);
  if (!status.ok()) return ReportError(status);
  absl::StatusOr<std::shared_ptr<const oauthd::client::ClientAssertionSigner>> signer =
      oauthd::client::ClientAssertionSigner::FromPemFile(key_file, auth->client_id(),
                                                         metadata.issuer());
  if (!signer.ok()) return UsageError(std::string(signer.status().message()));
  absl::StatusOr<std::string> assertion = (*signer)->Make(absl::Now());
  if (!assertion.ok()) return UsageError(std::string(assertion.status().message()));
  auth->set_client_assertion_type(std::string(oauthd::client::kJwtBearerClientAssertionType));
  auth->set_client_assertion(*std::move(assertion));
  return kExitOk;
}

int FinishToken(const grpc::Status& status, const oauth::v1::TokenResponse& response) {
  if (!status.ok()) return ReportError(status);
  if (JsonOutput()) {
    PrintJson(response);
  } else {
    PrintToken(response);
  }
  return kExitOk;
}

}  // namespace

// The scope parameter of a token request (RFC 6749 §3.3): space-delimited,
// whichever separator --scope used.
std::string RequestedScope() {
  return absl::StrJoin(SplitScopes(absl::GetFlag(FLAGS_scope)), " ");
}

int RunTokenCommand(const Args&) {
  if (absl::GetFlag(FLAGS_client_id).empty()) return UsageError("token needs --client_id");
  const std::string grant = absl::GetFlag(FLAGS_grant);
  oauth::v1::TokenResponse response;
  auto ctx = NewContext(false);
  if (grant == "refresh_token") {
    if (absl::GetFlag(FLAGS_refresh_token).empty()) {
      return UsageError("token --grant=refresh_token needs --refresh_token");
    }
    oauth::v1::RefreshTokenRequest request;
    if (int code = ClientAuth(request.mutable_client()); code != kExitOk) return code;
    request.set_refresh_token(absl::GetFlag(FLAGS_refresh_token));
    request.set_scope(RequestedScope());
    return FinishToken(Stub().RefreshToken(ctx.get(), request, &response), response);
  }
  oauth::v1::IssueTokenRequest request;
  if (int code = ClientAuth(request.mutable_client()); code != kExitOk) return code;
  for (auto& r : SplitList(absl::GetFlag(FLAGS_resource))) request.add_resource(r);
  if (grant == "client_credentials") {
    request.mutable_client_credentials()->set_scope(RequestedScope());
  } else if (grant == "password") {
    const std::string username = absl::GetFlag(FLAGS_username);
    if (username.empty()) return UsageError("token --grant=password needs --username");
    const std::string password =
        ValueOrPrompt(absl::GetFlag(FLAGS_password), "Password for " + username + ": ");
    if (password.empty()) return UsageError("token --grant=password needs --password");
    auto* p = request.mutable_password();
    p->set_username(username);
    p->set_password(password);
    p->set_scope(RequestedScope());
  } else {
    return UsageError("--grant must be client_credentials, password or refresh_token");
  }
  return FinishToken(Stub().IssueToken(ctx.get(), request, &response), response);
}

int RunIntrospectCommand(const Args& args) {
  if (args.size() < 2) return UsageError("introspect needs a TOKEN");
  if (absl::GetFlag(FLAGS_client_id).empty()) {
    return UsageError("introspect needs --client_id and --client_secret of a confidential client");
  }
  oauth::v1::IntrospectRequest request;
  if (int code = ClientAuth(request.mutable_client()); code != kExitOk) return code;
  request.set_token(args[1]);
  request.set_token_type_hint(absl::GetFlag(FLAGS_token_type_hint));
  oauth::v1::IntrospectResponse response;
  auto ctx = NewContext(false);
  grpc::Status status = Stub().Introspect(ctx.get(), request, &response);
  if (!status.ok()) return ReportError(status);
  if (!JsonOutput()) {
    PrintIntrospection(response);
  } else if (!response.active()) {
    std::printf("{\"active\":false}\n");  // proto3 JSON would omit a false `active`
  } else {
    PrintJson(response);
  }
  return kExitOk;
}

int RunRevokeCommand(const Args& args) {
  if (args.size() < 2) return UsageError("revoke needs a TOKEN");
  if (absl::GetFlag(FLAGS_client_id).empty()) return UsageError("revoke needs --client_id");
  oauth::v1::RevokeRequest request;
  if (int code = ClientAuth(request.mutable_client()); code != kExitOk) return code;
  request.set_token(args[1]);
  request.set_token_type_hint(absl::GetFlag(FLAGS_token_type_hint));
  oauth::v1::RevokeResponse response;
  auto ctx = NewContext(false);
  grpc::Status status = Stub().Revoke(ctx.get(), request, &response);
  if (!status.ok()) return ReportError(status);
  // RFC 7009 §2.2: unknown or already invalid tokens also succeed.
  std::printf(JsonOutput() ? "{}\n" : "revoked\n");
  return kExitOk;
}

int RunJwksCommand(const Args&) {
  oauth::v1::GetJwksResponse response;
  auto ctx = NewContext(false);
  grpc::Status status = Stub().GetJwks(ctx.get(), oauth::v1::GetJwksRequest(), &response);
  if (!status.ok()) return ReportError(status);
  if (JsonOutput()) {
    PrintJson(response);  // the RFC 7517 JWK Set document
  } else {
    PrintJwks(response);
  }
  return kExitOk;
}

}  // namespace oauthctl
