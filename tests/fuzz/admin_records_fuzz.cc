// The admin inputs: client and user records as the AdminService validates
// and stores them (server/core/client_admin, user_admin) on the memory
// store. Input: the first byte picks the call, the rest is its request in
// protobuf binary form (as gRPC would deliver it):
//   0 CreateClient  1 UpdateClient (of client "base")  2 CreateUser
//   3 SetUserPassword  4 ListClients  5 ListUsers  6 RevokeGrant
//   7 ListUserGrants

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "oauth/admin/v1/admin.pb.h"
#include "server/core/client_admin.h"
#include "server/core/client_registry.h"
#include "server/core/redirect_uri.h"
#include "server/core/scope.h"
#include "server/core/user_admin.h"
#include "storage/memory/memory_store.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_input.h"

namespace oauthd::fuzz {
namespace {

namespace admin = oauth::admin::v1;

const absl::Time kNow = absl::FromUnixSeconds(1700000000);

struct AdminService {
  AdminService() {
    config.issuer = "https://as.example";
    // The cheapest scrypt cost: hashing is not what is fuzzed here.
    config.password_hashing.log2_n = 1;
    config.password_hashing.r = 1;
    Clock clock = [] { return kNow; };
    store = storage::NewMemoryStore(clock);
    registry = std::make_unique<ClientRegistry>(store->clients(), absl::Seconds(5), clock);
    clients = std::make_unique<ClientAdmin>(config, *store, *registry, clock);
    users = std::make_unique<UserAdmin>(config, *store, clock);
    admin::CreateClientRequest base;
    base.mutable_client()->set_client_id("base");
    base.mutable_client()->add_grant_types("authorization_code");
    base.mutable_client()->add_redirect_uris("https://app.example/cb");
    FUZZ_CHECK(clients->Create(base).ok());
    FUZZ_CHECK(users->Create("alice", "correct horse").ok());
  }

  ServerConfig config;
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<ClientRegistry> registry;
  std::unique_ptr<ClientAdmin> clients;
  std::unique_ptr<UserAdmin> users;
};

// What is stored is exactly what validation lets through: reading it back
// and validating again changes nothing.
void CheckStoredClient(AdminService& service, const admin::Client& returned) {
  absl::StatusOr<admin::Client> stored = service.clients->Get(returned.client_id());
  FUZZ_CHECK(stored.ok());
  FUZZ_CHECK(stored->SerializeAsString() == returned.SerializeAsString());
  admin::Client again = *stored;
  FUZZ_CHECK(ValidateAndNormalizeClient(again).ok());
  FUZZ_CHECK(again.SerializeAsString() == stored->SerializeAsString());
  for (const std::string& uri : stored->redirect_uris()) {
    FUZZ_CHECK(ValidateRegisteredRedirectUri(uri).ok());
  }
  for (const std::string& scope : stored->allowed_scopes()) {
    absl::StatusOr<std::vector<std::string>> parsed = ParseScope(scope);
    FUZZ_CHECK(parsed.ok() && parsed->size() == 1);
  }
}

template <class Request>
bool Parse(absl::string_view bytes, Request* request) {
  return request->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

}  // namespace
}  // namespace oauthd::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace oauthd;
  using namespace oauthd::fuzz;
  if (size == 0) return 0;
  const absl::string_view bytes = AsView(data + 1, size - 1);
  AdminService service;
  switch (data[0] % 8) {
    case 0: {
      admin::CreateClientRequest request;
      if (!Parse(bytes, &request)) return 0;
      absl::StatusOr<admin::CreateClientResponse> created = service.clients->Create(request);
      if (!created.ok()) return 0;
      // Client ids never take the users' subject form (RFC 9700 §4.15).
      FUZZ_CHECK(!absl::StartsWith(created->client().client_id(), "u_"));
      FUZZ_CHECK((created->client().token_endpoint_auth_method() == "none") ==
                 created->client_secret().empty());
      CheckStoredClient(service, created->client());
      return 0;
    }
    case 1: {
      admin::UpdateClientRequest request;
      if (!Parse(bytes, &request)) return 0;
      request.mutable_client()->set_client_id("base");
      absl::StatusOr<admin::Client> updated = service.clients->Update(request);
      if (updated.ok()) {
        FUZZ_CHECK(updated->client_id() == "base");
        FUZZ_CHECK(updated->token_endpoint_auth_method() != "none");
        CheckStoredClient(service, *updated);
      }
      return 0;
    }
    case 2: {
      admin::CreateUserRequest request;
      if (!Parse(bytes, &request)) return 0;
      absl::StatusOr<admin::User> user =
          service.users->Create(request.username(), request.password());
      if (user.ok()) {
        FUZZ_CHECK(user->username() == request.username());
        FUZZ_CHECK(absl::StartsWith(user->subject(), "u_"));
        absl::StatusOr<admin::User> stored = service.users->Get(request.username());
        FUZZ_CHECK(stored.ok() && stored->subject() == user->subject());
      }
      return 0;
    }
    case 3: {
      admin::SetUserPasswordRequest request;
      if (!Parse(bytes, &request)) return 0;
      (void)service.users->SetPassword(request.username(), request.password());
      return 0;
    }
    case 4: {
      admin::ListClientsRequest request;
      if (!Parse(bytes, &request)) return 0;
      absl::StatusOr<admin::ListClientsResponse> list = service.clients->List(request);
      if (list.ok()) FUZZ_CHECK(list->clients_size() <= 1000);
      return 0;
    }
    case 5: {
      admin::ListUsersRequest request;
      if (!Parse(bytes, &request)) return 0;
      (void)service.users->List(request);
      return 0;
    }
    case 6: {
      admin::RevokeGrantRequest request;
      if (!Parse(bytes, &request)) return 0;
      (void)service.users->RevokeGrant(request.grant_id());
      return 0;
    }
    default: {
      admin::ListUserGrantsRequest request;
      if (!Parse(bytes, &request)) return 0;
      (void)service.users->ListGrants(request);
      return 0;
    }
  }
}
