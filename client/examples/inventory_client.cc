// inventory_client: calls the example resource server with access tokens
// from a TokenSource (client_credentials grant against oauthd).
//
//   inventory_client --oauthd=127.0.0.1:50051 --client_id=ID --client_secret=SECRET
//       [--scope="inventory.read inventory.write"] [--resource=inventory]
//       [--server=unix:/tmp/inventory.sock] put SKU QUANTITY | get SKU
//
// Exit codes: 0 ok, 1 the call failed (status printed), 2 usage error.

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/time/time.h"
#include "client/lib/authorization_server.h"
#include "client/lib/grpc_auth.h"
#include "client/lib/token_source.h"
#include "inventory.grpc.pb.h"

namespace {

using example::inventory::v1::Inventory;
using example::inventory::v1::Item;

int Usage() {
  std::fprintf(stderr,
               "usage: inventory_client --oauthd=ADDR --client_id=ID --client_secret=S "
               "[--scope=S] [--resource=AUD] [--server=ADDR] put SKU QUANTITY | get SKU\n");
  return 2;
}

void PrintItem(const Item& item) {
  std::printf("%s: %lld (updated by %s via client %s)\n", item.sku().c_str(),
              static_cast<long long>(item.quantity()), item.updated_by_subject().c_str(),
              item.updated_by_client().c_str());
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> flags;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (!absl::StartsWith(arg, "--")) {
      args.push_back(arg);
      continue;
    }
    const size_t eq = arg.find('=');
    if (eq == std::string::npos) return Usage();
    flags[arg.substr(2, eq - 2)] = arg.substr(eq + 1);
  }
  if (args.empty() || flags["client_id"].empty()) return Usage();
  const std::string server = flags.count("server") ? flags["server"] : "unix:/tmp/inventory.sock";
  const std::string oauthd = flags.count("oauthd") ? flags["oauthd"] : "127.0.0.1:50051";

  // 1. A TokenSource: cached client_credentials tokens, renewed ahead of
  //    expiry. Its channel to oauthd must not carry the token credentials.
  oauthd::client::TokenSourceOptions options;
  options.client_id = flags["client_id"];
  options.client_secret = flags["client_secret"];
  options.scope = flags.count("scope") ? flags["scope"] : "inventory.read inventory.write";
  options.resources = {flags.count("resource") ? flags["resource"] : "inventory"};
  auto tokens = oauthd::client::TokenSource::Create(
      oauthd::client::NewGrpcAuthorizationServer(
          grpc::CreateChannel(oauthd, grpc::InsecureChannelCredentials())),
      std::move(options));
  if (!tokens.ok()) {
    std::fprintf(stderr, "inventory_client: %s\n", tokens.status().ToString().c_str());
    return 2;
  }

  // 2. A channel whose calls carry "authorization: Bearer <token>". Local
  //    credentials match the example server; loopback TCP gives no transport
  //    protection, Unix sockets do.
  const bool unix_socket = absl::StartsWith(server, "unix:");
  oauthd::client::TokenCredentialsOptions call_options;
  call_options.allow_insecure_transport = !unix_socket;
  auto channel = grpc::CreateChannel(
      server, grpc::CompositeChannelCredentials(
                  grpc::experimental::LocalCredentials(unix_socket ? UDS : LOCAL_TCP),
                  oauthd::client::TokenSourceCallCredentials(*tokens, call_options)));
  auto stub = Inventory::NewStub(channel);

  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  Item item;
  grpc::Status status;
  if (args[0] == "put" && args.size() == 3) {
    example::inventory::v1::PutItemRequest request;
    int64_t quantity = 0;
    if (!absl::SimpleAtoi(args[2], &quantity)) return Usage();
    request.mutable_item()->set_sku(args[1]);
    request.mutable_item()->set_quantity(quantity);
    status = stub->PutItem(&context, request, &item);
  } else if (args[0] == "get" && args.size() == 2) {
    example::inventory::v1::GetItemRequest request;
    request.set_sku(args[1]);
    status = stub->GetItem(&context, request, &item);
  } else {
    return Usage();
  }
  if (!status.ok()) {
    std::fprintf(stderr, "inventory_client: call failed: code %d: %s\n",
                 static_cast<int>(status.error_code()), status.error_message().c_str());
    return 1;
  }
  PrintItem(item);
  return 0;
}
