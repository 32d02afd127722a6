#include "server/grpc/admin_service.h"

#include <type_traits>

#include "absl/strings/strip.h"
#include "absl/strings/match.h"
#include "server/core/hashing.h"
#include "server/core/oauth_error.h"
#include "server/grpc/offload.h"
#include "server/grpc/request_context.h"
#include "server/grpc/status_conversion.h"

namespace oauthd::grpc_api {

using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;
namespace admin = oauth::admin::v1;

AdminService::AdminService(ClientAdmin& clients, UserAdmin& users, Executor& executor,
                           std::string admin_token, AuditLog& audit)
    : clients_(clients), users_(users), executor_(executor),
      admin_token_hash_(admin_token.empty() ? "" : Sha256(admin_token)), audit_(audit) {}

template <typename Response, typename Work>
ServerUnaryReactor* AdminService::Change(CallbackServerContext* ctx, Response* response,
                                         const char* event, std::string client_id,
                                         std::string username, Work work) {
  return Offload(ctx, executor_, response,
                 [this, event, client_id = std::move(client_id), username = std::move(username),
                  source = ContextOf(*ctx).source_address, work = std::move(work)]() mutable {
                   auto result = work();
                   if (result.ok()) {
                     AuditEvent e;
                     e.event = event;
                     e.client_id = client_id;
                     e.source_address = source;
                     // The username an operator named (never a password).
                     if (!username.empty()) e.detail = "user " + username;
                     if constexpr (std::is_same_v<Response, admin::CreateClientResponse>) {
                       if (e.client_id.empty()) e.client_id = result->client().client_id();
                     }
                     audit_.Record(e);
                   }
                   return result;
                 });
}

ServerUnaryReactor* AdminService::RejectUnlessAdmin(CallbackServerContext* ctx) const {
  const auto& metadata = ctx->client_metadata();
  auto it = metadata.find("authorization");
  bool ok = false;
  if (!admin_token_hash_.empty() && it != metadata.end()) {
    absl::string_view value(it->second.data(), it->second.size());
    if (absl::ConsumePrefix(&value, "Bearer ")) {
      ok = ConstantTimeEquals(Sha256(value), admin_token_hash_);
    }
  }
  if (ok) return nullptr;
  ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(ToGrpcStatus(InvalidClient(
      admin_token_hash_.empty() ? "the admin API is disabled (no --admin_token_file)"
                                : "admin token missing or wrong")));
  return reactor;
}

template <typename T>
static absl::StatusOr<T> Empty(const absl::Status& status) {
  if (!status.ok()) return status;
  return T();
}

#define OAUTHD_GUARD(ctx)                                              \
  if (ServerUnaryReactor* rejected = RejectUnlessAdmin(ctx)) return rejected

ServerUnaryReactor* AdminService::CreateClient(CallbackServerContext* ctx,
                                               const admin::CreateClientRequest* request,
                                               admin::CreateClientResponse* response) {
  OAUTHD_GUARD(ctx);
  return Change(ctx, response, "admin.client.create", request->client().client_id(), "", [this, request] { return clients_.Create(*request); });
}

ServerUnaryReactor* AdminService::GetClient(CallbackServerContext* ctx,
                                            const admin::GetClientRequest* request,
                                            admin::Client* response) {
  OAUTHD_GUARD(ctx);
  return Offload(ctx, executor_, response,
                 [this, request] { return clients_.Get(request->client_id()); });
}

ServerUnaryReactor* AdminService::ListClients(CallbackServerContext* ctx,
                                              const admin::ListClientsRequest* request,
                                              admin::ListClientsResponse* response) {
  OAUTHD_GUARD(ctx);
  return Offload(ctx, executor_, response, [this, request] { return clients_.List(*request); });
}

ServerUnaryReactor* AdminService::UpdateClient(CallbackServerContext* ctx,
                                               const admin::UpdateClientRequest* request,
                                               admin::Client* response) {
  OAUTHD_GUARD(ctx);
  return Change(ctx, response, "admin.client.update", request->client().client_id(), "", [this, request] { return clients_.Update(*request); });
}

ServerUnaryReactor* AdminService::DeleteClient(CallbackServerContext* ctx,
                                               const admin::DeleteClientRequest* request,
                                               admin::DeleteClientResponse* response) {
  OAUTHD_GUARD(ctx);
  return Change(ctx, response, "admin.client.delete", request->client_id(), "", [this, request] {
    return Empty<admin::DeleteClientResponse>(clients_.Delete(request->client_id()));
  });
}

ServerUnaryReactor* AdminService::RotateClientSecret(
    CallbackServerContext* ctx, const admin::RotateClientSecretRequest* request,
    admin::CreateClientResponse* response) {
  OAUTHD_GUARD(ctx);
  return Change(ctx, response, "admin.client.rotate_secret", request->client_id(), "",
                 [this, request] {
                   return clients_.RotateSecret(
                       request->client_id(),
                       request->has_previous_secret_ttl_seconds()
                           ? std::optional<int64_t>(request->previous_secret_ttl_seconds())
                           : std::nullopt);
                 });
}

ServerUnaryReactor* AdminService::CreateUser(CallbackServerContext* ctx,
                                             const admin::CreateUserRequest* request,
                                             admin::User* response) {
  OAUTHD_GUARD(ctx);
  return Change(ctx, response, "admin.user.create", "", request->username(), [this, request] {
    return users_.Create(request->username(), request->password());
  });
}

ServerUnaryReactor* AdminService::GetUser(CallbackServerContext* ctx,
                                          const admin::GetUserRequest* request,
                                          admin::User* response) {
  OAUTHD_GUARD(ctx);
  return Offload(ctx, executor_, response,
                 [this, request] { return users_.Get(request->username()); });
}

ServerUnaryReactor* AdminService::ListUsers(CallbackServerContext* ctx,
                                            const admin::ListUsersRequest* request,
                                            admin::ListUsersResponse* response) {
  OAUTHD_GUARD(ctx);
  return Offload(ctx, executor_, response, [this, request] { return users_.List(*request); });
}

ServerUnaryReactor* AdminService::SetUserDisabled(CallbackServerContext* ctx,
                                                  const admin::SetUserDisabledRequest* request,
                                                  admin::User* response) {
  OAUTHD_GUARD(ctx);
  return Change(ctx, response, "admin.user.set_disabled", "", request->username(), [this, request] {
    return users_.SetDisabled(request->username(), request->disabled());
  });
}

ServerUnaryReactor* AdminService::SetUserPassword(CallbackServerContext* ctx,
                                                  const admin::SetUserPasswordRequest* request,
                                                  admin::User* response) {
  OAUTHD_GUARD(ctx);
  return Change(ctx, response, "admin.user.set_password", "", request->username(), [this, request] {
    return users_.SetPassword(request->username(), request->password());
  });
}

ServerUnaryReactor* AdminService::DeleteUser(CallbackServerContext* ctx,
                                             const admin::DeleteUserRequest* request,
                                             admin::DeleteUserResponse* response) {
  OAUTHD_GUARD(ctx);
  return Change(ctx, response, "admin.user.delete", "", request->username(), [this, request] {
    return Empty<admin::DeleteUserResponse>(users_.Delete(request->username()));
  });
}

ServerUnaryReactor* AdminService::ListUserGrants(
    CallbackServerContext* ctx, const admin::ListUserGrantsRequest* request,
    admin::ListUserGrantsResponse* response) {
  OAUTHD_GUARD(ctx);
  return Offload(ctx, executor_, response, [this, request] { return users_.ListGrants(*request); });
}

ServerUnaryReactor* AdminService::RevokeUserGrants(
    CallbackServerContext* ctx, const admin::RevokeUserGrantsRequest* request,
    admin::RevokeGrantsResponse* response) {
  OAUTHD_GUARD(ctx);
  return Change(ctx, response, "admin.user.revoke_grants", "", request->username(), [this, request] {
    return Empty<admin::RevokeGrantsResponse>(users_.RevokeGrants(request->username()));
  });
}

ServerUnaryReactor* AdminService::RevokeClientGrants(
    CallbackServerContext* ctx, const admin::RevokeClientGrantsRequest* request,
    admin::RevokeGrantsResponse* response) {
  OAUTHD_GUARD(ctx);
  return Change(ctx, response, "admin.client.revoke_grants", request->client_id(), "", [this, request] {
    return Empty<admin::RevokeGrantsResponse>(clients_.RevokeGrants(request->client_id()));
  });
}

ServerUnaryReactor* AdminService::RevokeGrant(CallbackServerContext* ctx,
                                              const admin::RevokeGrantRequest* request,
                                              admin::RevokeGrantsResponse* response) {
  OAUTHD_GUARD(ctx);
  const std::string source = ContextOf(*ctx).source_address;
  return Offload(ctx, executor_, response, [this, request, source] {
    absl::Status revoked = users_.RevokeGrant(request->grant_id());
    if (revoked.ok()) {
      audit_.Record({.event = "admin.grant.revoke",
                     .grant_id = request->grant_id(),
                     .source_address = source});
    }
    return Empty<admin::RevokeGrantsResponse>(revoked);
  });
}

ServerUnaryReactor* AdminService::UnlockUser(CallbackServerContext* ctx,
                                             const admin::UnlockUserRequest* request,
                                             admin::User* response) {
  OAUTHD_GUARD(ctx);
  return Change(ctx, response, "admin.user.unlock", "", request->username(),
                [this, request] { return users_.Unlock(request->username()); });
}

ServerUnaryReactor* AdminService::GetSigningKeys(CallbackServerContext* ctx,
                                                 const admin::GetSigningKeysRequest*,
                                                 admin::GetSigningKeysResponse* response) {
  OAUTHD_GUARD(ctx);
  // In memory, no I/O: answered on the gRPC thread.
  ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (keys_ == nullptr) {
    reactor->Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                                 "this oauthd does not report its signing keys"));
    return reactor;
  }
  const auto seconds = [](absl::Time t) -> int64_t {
    return t == absl::InfinitePast() || t == absl::InfiniteFuture() ? 0 : absl::ToUnixSeconds(t);
  };
  for (const SigningKeyStatus& k : keys_->Status()) {
    admin::SigningKeyStatus* out = response->add_keys();
    out->set_kid(k.kid);
    out->set_alg(k.alg);
    out->set_state(SigningKeyStateName(k.state));
    out->set_file(k.source);
    out->set_published_since(seconds(k.published_since));
    out->set_signs_since(seconds(k.signs_since));
    out->set_signs_from(seconds(k.signs_from));
    out->set_signed_until(seconds(k.signed_until));
    out->set_published_until(seconds(k.published_until));
  }
  response->set_publish_delay_seconds(absl::ToInt64Seconds(keys_->publish_delay()));
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

#undef OAUTHD_GUARD

}  // namespace oauthd::grpc_api
