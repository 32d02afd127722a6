#ifndef OAUTHD_CLIENT_EXAMPLES_INVENTORY_SERVICE_H_
#define OAUTHD_CLIENT_EXAMPLES_INVENTORY_SERVICE_H_

// The example resource server: an in-memory inventory on gRPC's callback
// API whose handlers take the caller from oauth_client's ServerAuthenticator.

#include <memory>
#include <string>

#include <grpcpp/server.h>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "client/lib/grpc_auth.h"
#include "inventory.grpc.pb.h"

namespace inventory {

inline constexpr char kReadScope[] = "inventory.read";
inline constexpr char kWriteScope[] = "inventory.write";

class InventoryService final : public example::inventory::v1::Inventory::CallbackService {
 public:
  explicit InventoryService(std::shared_ptr<oauthd::client::ServerAuthenticator> auth)
      : auth_(std::move(auth)) {}

  grpc::ServerUnaryReactor* GetItem(grpc::CallbackServerContext* context,
                                    const example::inventory::v1::GetItemRequest* request,
                                    example::inventory::v1::Item* item) override;
  grpc::ServerUnaryReactor* PutItem(grpc::CallbackServerContext* context,
                                    const example::inventory::v1::PutItemRequest* request,
                                    example::inventory::v1::Item* item) override;

 private:
  std::shared_ptr<oauthd::client::ServerAuthenticator> auth_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, example::inventory::v1::Item> items_ ABSL_GUARDED_BY(mu_);
};

// Starts a server for `service` on `address`: "unix:/path" (a Unix socket)
// or "127.0.0.1:port" (loopback TCP; port 0 picks one, see *bound_port).
// Transport: gRPC local credentials, which admit only local peers; a real
// deployment would use grpc::SslServerCredentials the same way. `auth`'s
// metadata processor refuses calls without a valid token before they reach
// the handlers.
absl::StatusOr<std::unique_ptr<grpc::Server>> StartInventoryServer(
    const std::string& address, InventoryService* service,
    const std::shared_ptr<oauthd::client::ServerAuthenticator>& auth, int* bound_port = nullptr);

}  // namespace inventory

#endif  // OAUTHD_CLIENT_EXAMPLES_INVENTORY_SERVICE_H_
