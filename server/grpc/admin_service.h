#ifndef OAUTHD_SERVER_GRPC_ADMIN_SERVICE_H_
#define OAUTHD_SERVER_GRPC_ADMIN_SERVICE_H_

#include <string>

#include "oauth/admin/v1/admin.grpc.pb.h"
#include "server/core/audit_log.h"
#include "server/core/client_admin.h"
#include "server/core/signing_key_ring.h"
#include "server/core/user_admin.h"
#include "server/grpc/executor.h"

namespace oauthd::grpc_api {

// oauth.admin.v1.AdminService. Every call must carry
// `authorization: Bearer <admin token>`; the token is compared in constant
// time against the one oauthd was started with. Without a configured token
// the service refuses every call (UNAUTHENTICATED), so an admin API is never
// open by accident.
class AdminService final : public oauth::admin::v1::AdminService::CallbackService {
 public:
  // Every change that succeeds is recorded in `audit` (admin.<operation>,
  // with the caller's address and the client id or username it changed).
  AdminService(ClientAdmin& clients, UserAdmin& users, Executor& executor,
               std::string admin_token, AuditLog& audit);

#define OAUTHD_ADMIN_RPC(name, Req, Resp)                                      \
  grpc::ServerUnaryReactor* name(grpc::CallbackServerContext* ctx,             \
                                 const oauth::admin::v1::Req* request,        \
                                 oauth::admin::v1::Resp* response) override;
  OAUTHD_ADMIN_RPC(CreateClient, CreateClientRequest, CreateClientResponse)
  OAUTHD_ADMIN_RPC(GetClient, GetClientRequest, Client)
  OAUTHD_ADMIN_RPC(ListClients, ListClientsRequest, ListClientsResponse)
  OAUTHD_ADMIN_RPC(UpdateClient, UpdateClientRequest, Client)
  OAUTHD_ADMIN_RPC(DeleteClient, DeleteClientRequest, DeleteClientResponse)
  OAUTHD_ADMIN_RPC(RotateClientSecret, RotateClientSecretRequest, CreateClientResponse)
  OAUTHD_ADMIN_RPC(CreateUser, CreateUserRequest, User)
  OAUTHD_ADMIN_RPC(GetUser, GetUserRequest, User)
  OAUTHD_ADMIN_RPC(ListUsers, ListUsersRequest, ListUsersResponse)
  OAUTHD_ADMIN_RPC(SetUserDisabled, SetUserDisabledRequest, User)
  OAUTHD_ADMIN_RPC(SetUserPassword, SetUserPasswordRequest, User)
  OAUTHD_ADMIN_RPC(DeleteUser, DeleteUserRequest, DeleteUserResponse)
  OAUTHD_ADMIN_RPC(UnlockUser, UnlockUserRequest, User)
  OAUTHD_ADMIN_RPC(ListUserGrants, ListUserGrantsRequest, ListUserGrantsResponse)
  OAUTHD_ADMIN_RPC(RevokeUserGrants, RevokeUserGrantsRequest, RevokeGrantsResponse)
  OAUTHD_ADMIN_RPC(RevokeClientGrants, RevokeClientGrantsRequest, RevokeGrantsResponse)
  OAUTHD_ADMIN_RPC(RevokeGrant, RevokeGrantRequest, RevokeGrantsResponse)
  OAUTHD_ADMIN_RPC(GetSigningKeys, GetSigningKeysRequest, GetSigningKeysResponse)
#undef OAUTHD_ADMIN_RPC

  // What GetSigningKeys reports (UNIMPLEMENTED while unset). Set before
  // serving; must outlive the service.
  void set_signing_keys(const SigningKeyRing* keys) { keys_ = keys; }

 private:
  // Finishes the call as UNAUTHENTICATED and returns it, or nullptr when the
  // caller presented the admin token.
  grpc::ServerUnaryReactor* RejectUnlessAdmin(grpc::CallbackServerContext* ctx) const;

  // Offload of a change: runs `work` and, when it succeeds, records
  // `event` about `client_id` or `username` (one of them set).
  template <typename Response, typename Work>
  grpc::ServerUnaryReactor* Change(grpc::CallbackServerContext* ctx, Response* response,
                                   const char* event, std::string client_id,
                                   std::string username, Work work);

  ClientAdmin& clients_;
  UserAdmin& users_;
  Executor& executor_;
  const std::string admin_token_hash_;  // SHA-256, empty when disabled
  AuditLog& audit_;
  const SigningKeyRing* keys_ = nullptr;
};

}  // namespace oauthd::grpc_api

#endif  // OAUTHD_SERVER_GRPC_ADMIN_SERVICE_H_
