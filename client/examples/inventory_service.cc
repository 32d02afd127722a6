#include "inventory_service.h"

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace inventory {

using example::inventory::v1::GetItemRequest;
using example::inventory::v1::Item;
using example::inventory::v1::PutItemRequest;
using oauthd::client::ToGrpcStatus;
using oauthd::client::VerifyResult;

grpc::ServerUnaryReactor* InventoryService::GetItem(grpc::CallbackServerContext* context,
                                                    const GetItemRequest* request, Item* item) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  // The processor has verified the token already; this returns its claims
  // from the authenticator's cache and checks this method's scope.
  VerifyResult caller = auth_->Authenticate(*context, {kReadScope});
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.error()));
    return reactor;
  }
  absl::MutexLock lock(&mu_);
  const auto it = items_.find(request->sku());
  if (it == items_.end()) {
    reactor->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND,
                                 absl::StrCat("no item ", request->sku())));
    return reactor;
  }
  *item = it->second;
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* InventoryService::PutItem(grpc::CallbackServerContext* context,
                                                    const PutItemRequest* request, Item* item) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  VerifyResult caller = auth_->Authenticate(*context, {kWriteScope});
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.error()));
    return reactor;
  }
  if (request->item().sku().empty()) {
    reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "item needs a sku"));
    return reactor;
  }
  *item = request->item();
  item->set_updated_by_subject(caller->subject);
  item->set_updated_by_client(caller->client_id);
  {
    absl::MutexLock lock(&mu_);
    items_[item->sku()] = *item;
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

absl::StatusOr<std::unique_ptr<grpc::Server>> StartInventoryServer(
    const std::string& address, InventoryService* service,
    const std::shared_ptr<oauthd::client::ServerAuthenticator>& auth, int* bound_port) {
  std::shared_ptr<grpc::ServerCredentials> credentials =
      grpc::experimental::LocalServerCredentials(absl::StartsWith(address, "unix:") ? UDS
                                                                                     : LOCAL_TCP);
  credentials->SetAuthMetadataProcessor(auth->MetadataProcessor());
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, credentials, bound_port);
  builder.RegisterService(service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) return absl::UnavailableError(absl::StrCat("cannot listen on ", address));
  return server;
}

}  // namespace inventory
