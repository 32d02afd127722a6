// oauthctl client … / user …: the admin API.

#include <cstdio>
#include <utility>
#include <vector>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "server/jose/jwks.h"
#include "server/jose/signing_key.h"
#include "absl/time/time.h"
#include "client/oauthctl/cli.h"
#include "client/oauthctl/command_line.h"
#include "client/oauthctl/output.h"
#include "oauth/admin/v1/admin.grpc.pb.h"

// Each command accepts only its own flags (client/oauthctl/commands.cc).
ABSL_FLAG(std::string, id, "", "client id (generated when empty)");
ABSL_FLAG(std::string, name, "", "display name");
ABSL_FLAG(std::string, auth_method, "",
          "client_secret_basic (the default), client_secret_post, private_key_jwt (needs "
          "--jwks_file) or none (a public client)");
ABSL_FLAG(std::string, jwks_file, "",
          "the client's public keys for private_key_jwt: a JWK Set (JSON) file, or a PEM key "
          "file whose public half is registered");
ABSL_FLAG(std::string, allowed_cors_origins, "",
          "comma list of browser origins allowed to call /token and /revoke "
          "(e.g. https://app.example)");
ABSL_FLAG(std::string, grant_types, "",
          "comma list of client_credentials, password, authorization_code, refresh_token");
ABSL_FLAG(std::string, redirect_uris, "", "comma list of exact redirect URIs");
ABSL_FLAG(std::string, scopes, "", "allowed scopes, separated by commas or spaces");
ABSL_FLAG(std::string, default_scopes, "",
          "scopes granted when a request names none, separated by commas or spaces");
ABSL_FLAG(std::string, audiences, "", "comma list of audiences (resource indicators)");
ABSL_FLAG(int64_t, access_token_ttl_seconds, 0, "access token lifetime; 0: the server's");
ABSL_FLAG(int64_t, refresh_token_ttl_seconds, 0, "refresh token lifetime; 0: the server's");
ABSL_FLAG(int64_t, refresh_family_ttl_seconds, 0,
          "absolute lifetime of a refresh token family; 0: the server's");
ABSL_FLAG(int64_t, refresh_grace_seconds, 0,
          "how long a rotated refresh token may still be presented once");
ABSL_FLAG(bool, allow_plain_pkce, false, "accept PKCE method plain (S256 only otherwise)");
ABSL_FLAG(bool, introspect_any_token, false,
          "may introspect any token (a resource server that is not named in the tokens' aud)");
ABSL_FLAG(bool, require_pkce, true,
          "require PKCE (may be false only for confidential clients)");
ABSL_FLAG(std::string, username, "", "username (user commands: instead of USERNAME)");
ABSL_FLAG(std::string, password, "", "password (prompted on a terminal if absent)");
ABSL_FLAG(int, page_size, 100, "entries per page");
ABSL_FLAG(std::string, page_token, "", "continue after this token (from the previous page)");
ABSL_FLAG(absl::Duration, previous_secret_ttl, absl::ZeroDuration(),
          "how long the previous secret keeps working (e.g. 10m; 0s ends it at once); "
          "without it, the server's --previous_secret_ttl");

namespace oauthctl {
namespace {

namespace admin = oauth::admin::v1;

admin::AdminService::Stub& Stub() {
  static auto stub = admin::AdminService::NewStub(AdminChannel());
  return *stub;
}

// Calls `call` with an admin context; prints the response with `print`
// (or as JSON) on success.
template <typename Response, typename Call, typename PrintFn>
int Invoke(Call call, PrintFn print) {
  Response response;
  auto ctx = NewContext(/*admin=*/true);
  grpc::Status status = call(ctx.get(), &response);
  if (!status.ok()) return ReportError(status);
  if (JsonOutput()) {
    PrintJson(response);
  } else {
    print(response);
  }
  return kExitOk;
}

// The JWK Set named by --jwks_file: the file itself when it is JSON, or the
// public JWK Set of a PEM key (what `oauthctl keys jwks FILE` prints).
// Exits with kExitUsage when the file cannot be read or parsed.
std::string ReadJwksFlag() {
  const std::string path = absl::GetFlag(FLAGS_jwks_file);
  if (path.empty()) return "";
  std::ifstream file(path);
  std::stringstream content;
  if (!file || !(content << file.rdbuf())) {
    std::fprintf(stderr, "oauthctl: cannot read --jwks_file %s\n", path.c_str());
    std::exit(kExitUsage);
  }
  const std::string text = content.str();
  if (absl::StrContains(text, "-----BEGIN")) {
    absl::StatusOr<oauthd::jose::SigningKey> key = oauthd::jose::SigningKey::FromPem(text, path);
    if (!key.ok()) {
      std::fprintf(stderr, "oauthctl: %s\n", std::string(key.status().message()).c_str());
      std::exit(kExitUsage);
    }
    return oauthd::jose::RenderJwks({key->public_jwk()});
  }
  return text;
}

// Client fields settable from flags: flag name, Client field name, setter.
struct ClientField {
  const char* flag;
  const char* field;
  void (*set)(admin::Client*);
};

const std::vector<ClientField>& ClientFields() {
  static const auto* fields = new std::vector<ClientField>{
      {"name", "client_name",
       [](admin::Client* c) { c->set_client_name(absl::GetFlag(FLAGS_name)); }},
      {"auth_method", "token_endpoint_auth_method",
       [](admin::Client* c) { c->set_token_endpoint_auth_method(absl::GetFlag(FLAGS_auth_method)); }},
      {"grant_types", "grant_types",
       [](admin::Client* c) {
         for (auto& g : SplitList(absl::GetFlag(FLAGS_grant_types))) c->add_grant_types(g);
       }},
      {"redirect_uris", "redirect_uris",
       [](admin::Client* c) {
         for (auto& u : SplitList(absl::GetFlag(FLAGS_redirect_uris))) c->add_redirect_uris(u);
       }},
      {"scopes", "allowed_scopes",
       [](admin::Client* c) {
         for (auto& s : SplitScopes(absl::GetFlag(FLAGS_scopes))) c->add_allowed_scopes(s);
       }},
      {"default_scopes", "default_scopes",
       [](admin::Client* c) {
         for (auto& s : SplitScopes(absl::GetFlag(FLAGS_default_scopes))) {
           c->add_default_scopes(s);
         }
       }},
      {"audiences", "audiences",
       [](admin::Client* c) {
         for (auto& a : SplitList(absl::GetFlag(FLAGS_audiences))) c->add_audiences(a);
       }},
      {"access_token_ttl_seconds", "access_token_ttl_seconds",
       [](admin::Client* c) {
         c->set_access_token_ttl_seconds(absl::GetFlag(FLAGS_access_token_ttl_seconds));
       }},
      {"refresh_token_ttl_seconds", "refresh_token_ttl_seconds",
       [](admin::Client* c) {
         c->set_refresh_token_ttl_seconds(absl::GetFlag(FLAGS_refresh_token_ttl_seconds));
       }},
      {"refresh_family_ttl_seconds", "refresh_family_ttl_seconds",
       [](admin::Client* c) {
         c->set_refresh_family_ttl_seconds(absl::GetFlag(FLAGS_refresh_family_ttl_seconds));
       }},
      {"refresh_grace_seconds", "refresh_grace_seconds",
       [](admin::Client* c) {
         c->set_refresh_grace_seconds(absl::GetFlag(FLAGS_refresh_grace_seconds));
       }},
      {"allow_plain_pkce", "allow_plain_pkce",
       [](admin::Client* c) { c->set_allow_plain_pkce(absl::GetFlag(FLAGS_allow_plain_pkce)); }},
      {"require_pkce", "require_pkce",
       [](admin::Client* c) { c->set_require_pkce(absl::GetFlag(FLAGS_require_pkce)); }},
      {"jwks_file", "jwks", [](admin::Client* c) { c->set_jwks(ReadJwksFlag()); }},
      {"allowed_cors_origins", "allowed_cors_origins",
       [](admin::Client* c) {
         for (auto& o : SplitList(absl::GetFlag(FLAGS_allowed_cors_origins))) {
           c->add_allowed_cors_origins(o);
         }
       }},
      {"introspect_any_token", "introspect_any_token",
       [](admin::Client* c) {
         c->set_introspect_any_token(absl::GetFlag(FLAGS_introspect_any_token));
       }},
  };
  return *fields;
}

void FillClientForCreate(admin::Client* c) {
  for (const ClientField& field : ClientFields()) {
    // require_pkce unset means "server default" (required); send it only
    // when it was given.
    if (std::string(field.flag) == "require_pkce" && !FlagGiven("require_pkce")) continue;
    field.set(c);
  }
}

std::string Password(const std::string& username) {
  return ValueOrPrompt(absl::GetFlag(FLAGS_password), "Password for " + username + ": ");
}

}  // namespace

int RunClientCommand(const Args& args) {
  const std::string verb = args.size() > 1 ? args[1] : "";
  const std::string target = args.size() > 2 ? args[2] : "";
  if (verb == "create") {
    admin::CreateClientRequest request;
    request.mutable_client()->set_client_id(absl::GetFlag(FLAGS_id));
    FillClientForCreate(request.mutable_client());
    return Invoke<admin::CreateClientResponse>(
        [&](grpc::ClientContext* ctx, admin::CreateClientResponse* r) {
          return Stub().CreateClient(ctx, request, r);
        },
        [](const admin::CreateClientResponse& r) { PrintClient(r.client(), r.client_secret()); });
  }
  if (verb == "list") {
    admin::ListClientsRequest request;
    request.set_page_size(absl::GetFlag(FLAGS_page_size));
    request.set_page_token(absl::GetFlag(FLAGS_page_token));
    return Invoke<admin::ListClientsResponse>(
        [&](grpc::ClientContext* ctx, admin::ListClientsResponse* r) {
          return Stub().ListClients(ctx, request, r);
        },
        [](const admin::ListClientsResponse& r) { PrintClients(r); });
  }
  if (target.empty()) return UsageError("client " + verb + " needs a CLIENT_ID");
  if (verb == "get") {
    admin::GetClientRequest request;
    request.set_client_id(target);
    return Invoke<admin::Client>(
        [&](grpc::ClientContext* ctx, admin::Client* r) {
          return Stub().GetClient(ctx, request, r);
        },
        [](const admin::Client& r) { PrintClient(r); });
  }
  if (verb == "update") {
    // Changes only the fields whose flags are given (an update mask), so
    // `client update ID --name=X` keeps everything else.
    admin::UpdateClientRequest request;
    request.mutable_client()->set_client_id(target);
    for (const ClientField& field : ClientFields()) {
      if (!FlagGiven(field.flag)) continue;
      field.set(request.mutable_client());
      request.mutable_update_mask()->add_paths(field.field);
    }
    if (request.update_mask().paths().empty()) {
      return UsageError("client update needs at least one field flag (e.g. --name, --scopes)");
    }
    return Invoke<admin::Client>(
        [&](grpc::ClientContext* ctx, admin::Client* r) {
          return Stub().UpdateClient(ctx, request, r);
        },
        [](const admin::Client& r) { PrintClient(r); });
  }
  if (verb == "delete") {
    admin::DeleteClientRequest request;
    request.set_client_id(target);
    return Invoke<admin::DeleteClientResponse>(
        [&](grpc::ClientContext* ctx, admin::DeleteClientResponse* r) {
          return Stub().DeleteClient(ctx, request, r);
        },
        [&](const admin::DeleteClientResponse&) {
          std::printf("deleted client %s\n", target.c_str());
        });
  }
  if (verb == "rotate-secret") {
    admin::RotateClientSecretRequest request;
    request.set_client_id(target);
    if (FlagGiven("previous_secret_ttl")) {
      const absl::Duration ttl = absl::GetFlag(FLAGS_previous_secret_ttl);
      if (ttl < absl::ZeroDuration()) return UsageError("--previous_secret_ttl must be >= 0s");
      request.set_previous_secret_ttl_seconds(absl::ToInt64Seconds(ttl));
    }
    return Invoke<admin::CreateClientResponse>(
        [&](grpc::ClientContext* ctx, admin::CreateClientResponse* r) {
          return Stub().RotateClientSecret(ctx, request, r);
        },
        [](const admin::CreateClientResponse& r) {
          PrintClient(r.client(), r.client_secret());
          if (r.previous_secret_expire_time() > 0) {
            std::printf("previous secret works until %s\n",
                        absl::FormatTime("%Y-%m-%dT%H:%M:%SZ",
                                         absl::FromUnixSeconds(r.previous_secret_expire_time()),
                                         absl::UTCTimeZone())
                            .c_str());
          } else {
            std::printf("previous secret no longer works\n");
          }
        });
  }
  if (verb == "revoke-grants") {
    admin::RevokeClientGrantsRequest request;
    request.set_client_id(target);
    return Invoke<admin::RevokeGrantsResponse>(
        [&](grpc::ClientContext* ctx, admin::RevokeGrantsResponse* r) {
          return Stub().RevokeClientGrants(ctx, request, r);
        },
        [&](const admin::RevokeGrantsResponse&) {
          std::printf("revoked every grant and token of client %s\n", target.c_str());
        });
  }
  return UsageError("client needs create|get|list|update|delete|rotate-secret|revoke-grants");
}

int RunGrantCommand(const Args& args) {
  const std::string verb = args.size() > 1 ? args[1] : "";
  const std::string grant_id = args.size() > 2 ? args[2] : "";
  if (verb != "revoke") return UsageError("grant needs revoke GRANT_ID");
  if (grant_id.empty()) return UsageError("grant revoke needs a GRANT_ID");
  admin::RevokeGrantRequest request;
  request.set_grant_id(grant_id);
  return Invoke<admin::RevokeGrantsResponse>(
      [&](grpc::ClientContext* ctx, admin::RevokeGrantsResponse* r) {
        return Stub().RevokeGrant(ctx, request, r);
      },
      [&](const admin::RevokeGrantsResponse&) {
        std::printf("revoked grant %s\n", grant_id.c_str());
      });
}

int RunUserCommand(const Args& args) {
  const std::string verb = args.size() > 1 ? args[1] : "";
  std::string username = args.size() > 2 ? args[2] : absl::GetFlag(FLAGS_username);
  const auto print_user = [](const admin::User& u) { PrintUser(u); };
  if (verb == "list") {
    admin::ListUsersRequest request;
    request.set_page_size(absl::GetFlag(FLAGS_page_size));
    request.set_page_token(absl::GetFlag(FLAGS_page_token));
    return Invoke<admin::ListUsersResponse>(
        [&](grpc::ClientContext* ctx, admin::ListUsersResponse* r) {
          return Stub().ListUsers(ctx, request, r);
        },
        [](const admin::ListUsersResponse& r) { PrintUsers(r); });
  }
  if (username.empty()) return UsageError("user " + verb + " needs a USERNAME");
  if (verb == "create" || verb == "set-password") {
    const std::string password = Password(username);
    if (password.empty()) return UsageError("user " + verb + " needs --password");
    if (verb == "create") {
      admin::CreateUserRequest request;
      request.set_username(username);
      request.set_password(password);
      return Invoke<admin::User>(
          [&](grpc::ClientContext* ctx, admin::User* r) {
            return Stub().CreateUser(ctx, request, r);
          },
          print_user);
    }
    admin::SetUserPasswordRequest request;
    request.set_username(username);
    request.set_password(password);
    return Invoke<admin::User>(
        [&](grpc::ClientContext* ctx, admin::User* r) {
          return Stub().SetUserPassword(ctx, request, r);
        },
        print_user);
  }
  if (verb == "get") {
    admin::GetUserRequest request;
    request.set_username(username);
    return Invoke<admin::User>(
        [&](grpc::ClientContext* ctx, admin::User* r) { return Stub().GetUser(ctx, request, r); },
        print_user);
  }
  if (verb == "unlock") {
    admin::UnlockUserRequest request;
    request.set_username(username);
    return Invoke<admin::User>(
        [&](grpc::ClientContext* ctx, admin::User* r) { return Stub().UnlockUser(ctx, request, r); },
        print_user);
  }
  if (verb == "disable" || verb == "enable") {
    admin::SetUserDisabledRequest request;
    request.set_username(username);
    request.set_disabled(verb == "disable");
    return Invoke<admin::User>(
        [&](grpc::ClientContext* ctx, admin::User* r) {
          return Stub().SetUserDisabled(ctx, request, r);
        },
        print_user);
  }
  if (verb == "delete") {
    admin::DeleteUserRequest request;
    request.set_username(username);
    return Invoke<admin::DeleteUserResponse>(
        [&](grpc::ClientContext* ctx, admin::DeleteUserResponse* r) {
          return Stub().DeleteUser(ctx, request, r);
        },
        [&](const admin::DeleteUserResponse&) {
          std::printf("deleted user %s\n", username.c_str());
        });
  }
  if (verb == "grants") {
    admin::ListUserGrantsRequest request;
    request.set_username(username);
    request.set_page_size(absl::GetFlag(FLAGS_page_size));
    return Invoke<admin::ListUserGrantsResponse>(
        [&](grpc::ClientContext* ctx, admin::ListUserGrantsResponse* r) {
          return Stub().ListUserGrants(ctx, request, r);
        },
        [](const admin::ListUserGrantsResponse& r) { PrintGrants(r); });
  }
  if (verb == "revoke-grants") {
    admin::RevokeUserGrantsRequest request;
    request.set_username(username);
    return Invoke<admin::RevokeGrantsResponse>(
        [&](grpc::ClientContext* ctx, admin::RevokeGrantsResponse* r) {
          return Stub().RevokeUserGrants(ctx, request, r);
        },
        [&](const admin::RevokeGrantsResponse&) {
          std::printf("revoked every grant of user %s\n", username.c_str());
        });
  }
  return UsageError(
      "user needs create|get|list|disable|enable|set-password|unlock|delete|grants|revoke-grants");
}

}  // namespace oauthctl
