// The example inventory service end to end with a real oauthd: a client
// calls it with TokenSource call credentials; the server verifies with an
// online Verifier. Revoked, expired, wrong-audience, under-scoped and
// missing tokens are refused.

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "client/lib/authorization_server.h"
#include "client/lib/grpc_auth.h"
#include "client/lib/token_source.h"
#include "client/lib/verifier.h"
#include "inventory_service.h"
#include "tests/integration/oauthd_process.h"

namespace oauthd::client {
namespace {

using ::testing::HasSubstr;
using example::inventory::v1::GetItemRequest;
using example::inventory::v1::Inventory;
using example::inventory::v1::Item;
using example::inventory::v1::PutItemRequest;

// Real time plus an offset the test can move (the resource server's clock).
class OffsetClock {
 public:
  Clock AsClock() {
    return [this] { return absl::Now() + absl::Nanoseconds(offset_ns_.load()); };
  }
  void Advance(absl::Duration d) { offset_ns_ += absl::ToInt64Nanoseconds(d); }
  void Reset() { offset_ns_ = 0; }

 private:
  std::atomic<int64_t> offset_ns_{0};
};

class ExampleEndToEndTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto process = oauthd::testing::OauthdProcess::Start();
    ASSERT_TRUE(process.ok()) << process.status();
    oauthd_ = process->release();
    // The resource server's own client: registered under the audience name
    // "inventory", so introspection tells it about tokens for it.
    oauth::admin::v1::Client resource_server;
    resource_server.set_client_id("inventory");
    resource_server.add_grant_types("client_credentials");
    auto introspector = oauthd_->CreateClient(resource_server);
    ASSERT_TRUE(introspector.ok());

    // The resource server: online verification, then the example service.
    VerifierOptions options;
    options.issuer = "https://issuer.test";
    options.audience = "inventory";
    options.online = true;
    options.introspection_client_id = introspector->client_id();
    options.introspection_client_secret = introspector->client_secret();
    options.clock = clock_->AsClock();
    auto verifier = Verifier::Create(OauthdServer(), options);
    ASSERT_TRUE(verifier.ok()) << verifier.status();
    ASSERT_TRUE((*verifier)->RefreshKeys().ok());
    auth_ = new std::shared_ptr<ServerAuthenticator>(ServerAuthenticator::Create(*verifier));
    service_ = new inventory::InventoryService(*auth_);
    socket_ = new std::string(absl::StrCat("/tmp/oauth-client-e2e-", getpid(), ".sock"));
    unlink(socket_->c_str());
    auto server = inventory::StartInventoryServer("unix:" + *socket_, service_, *auth_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
  }

  static void TearDownTestSuite() {
    if (server_ != nullptr) server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    delete server_;
    delete service_;
    delete auth_;
    if (socket_ != nullptr) unlink(socket_->c_str());
    delete socket_;
    delete oauthd_;
  }

  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    clock_->Reset();
  }

  static std::shared_ptr<AuthorizationServer> OauthdServer() {
    GrpcAuthorizationServerOptions options;
    options.timeout = absl::Seconds(10);
    options.wait_for_ready = true;
    return NewGrpcAuthorizationServer(
        grpc::CreateChannel(oauthd_->address(), grpc::InsecureChannelCredentials()), options);
  }

  static absl::StatusOr<oauth::v1::ClientAuthentication> CreateClient(
      std::vector<std::string> audiences, std::vector<std::string> scopes) {
    oauth::admin::v1::Client client;
    client.set_client_name("inventory e2e");
    client.add_grant_types("client_credentials");
    for (const std::string& s : scopes) client.add_allowed_scopes(s);
    for (const std::string& a : audiences) client.add_audiences(a);
    return oauthd_->CreateClient(client);
  }

  std::shared_ptr<TokenSource> Tokens(std::vector<std::string> audiences,
                                      std::string scope = "inventory.read inventory.write") {
    std::vector<std::string> scopes = absl::StrSplit(scope, ' ');
    auto client = CreateClient(audiences, scopes);
    EXPECT_TRUE(client.ok()) << client.status();
    client_ = *client;
    TokenSourceOptions options;
    options.client_id = client->client_id();
    options.client_secret = client->client_secret();
    options.scope = scope;
    auto source = TokenSource::Create(OauthdServer(), options);
    EXPECT_TRUE(source.ok()) << source.status();
    return *source;
  }

  std::string TokenFrom(TokenSource& source) {
    absl::StatusOr<Token> token = source.GetToken();
    EXPECT_TRUE(token.ok()) << token.status();
    return token.ok() ? token->access_token : "";
  }

  // A stub whose calls carry `token` explicitly (no TokenSource).
  grpc::Status PutWith(const std::string& token) {
    auto stub = Inventory::NewStub(
        grpc::CreateChannel("unix:" + *socket_, grpc::experimental::LocalCredentials(UDS)));
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
    PutItemRequest request;
    request.mutable_item()->set_sku("pear");
    request.mutable_item()->set_quantity(1);
    Item item;
    return stub->PutItem(&context, request, &item);
  }

  static oauthd::testing::OauthdProcess* oauthd_;
  static OffsetClock* clock_;
  static std::shared_ptr<ServerAuthenticator>* auth_;
  static inventory::InventoryService* service_;
  static grpc::Server* server_;
  static std::string* socket_;
  oauth::v1::ClientAuthentication client_;  // of the last Tokens()
};

oauthd::testing::OauthdProcess* ExampleEndToEndTest::oauthd_ = nullptr;
OffsetClock* ExampleEndToEndTest::clock_ = new OffsetClock();
std::shared_ptr<ServerAuthenticator>* ExampleEndToEndTest::auth_ = nullptr;
inventory::InventoryService* ExampleEndToEndTest::service_ = nullptr;
grpc::Server* ExampleEndToEndTest::server_ = nullptr;
std::string* ExampleEndToEndTest::socket_ = nullptr;

TEST_F(ExampleEndToEndTest, AuthorizesCallsWithTokenSourceCredentials) {
  auto tokens = Tokens({"inventory"});
  auto channel = grpc::CreateChannel(
      "unix:" + *socket_,
      grpc::CompositeChannelCredentials(grpc::experimental::LocalCredentials(UDS),
                                        TokenSourceCallCredentials(tokens)));
  auto stub = Inventory::NewStub(channel);

  grpc::ClientContext put_context;
  PutItemRequest put;
  put.mutable_item()->set_sku("apple");
  put.mutable_item()->set_quantity(7);
  Item item;
  grpc::Status status = stub->PutItem(&put_context, put, &item);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(item.updated_by_client(), client_.client_id());
  EXPECT_EQ(item.updated_by_subject(), client_.client_id());  // client_credentials: sub is the client

  grpc::ClientContext get_context;
  GetItemRequest get;
  get.set_sku("apple");
  status = stub->GetItem(&get_context, get, &item);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(item.quantity(), 7);
  EXPECT_EQ(tokens->stats().fetches, 1);
}

TEST_F(ExampleEndToEndTest, RejectsRevokedTokenOnline) {
  auto tokens = Tokens({"inventory"});
  const std::string token = TokenFrom(*tokens);
  ASSERT_TRUE(PutWith(token).ok());

  oauth::v1::RevokeRequest revoke;
  *revoke.mutable_client() = client_;
  revoke.set_token(token);
  oauth::v1::RevokeResponse revoked;
  grpc::Status status = oauthd_->tokens().Revoke(oauthd_->Context().get(), revoke, &revoked);
  ASSERT_TRUE(status.ok()) << status.error_message();

  // Past the authenticator's cache (5 s) and the introspection cache (5 s).
  clock_->Advance(absl::Seconds(11));
  status = PutWith(token);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("inactive"));
}

TEST_F(ExampleEndToEndTest, RejectsExpiredToken) {
  auto tokens = Tokens({"inventory"});
  const std::string token = TokenFrom(*tokens);
  ASSERT_TRUE(PutWith(token).ok());
  // oauthd's default access-token lifetime is 10 minutes; leeway 30 s.
  clock_->Advance(absl::Minutes(10) + absl::Seconds(31));
  grpc::Status status = PutWith(token);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("expired"));
}

TEST_F(ExampleEndToEndTest, RejectsWrongAudience) {
  auto tokens = Tokens({"billing"});
  grpc::Status status = PutWith(TokenFrom(*tokens));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("wrong_audience"));
}

TEST_F(ExampleEndToEndTest, RejectsInsufficientScope) {
  auto tokens = Tokens({"inventory"}, "inventory.read");
  grpc::Status status = PutWith(TokenFrom(*tokens));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("inventory.write"));
}

TEST_F(ExampleEndToEndTest, RejectsMissingAndForgedTokens) {
  grpc::Status status = PutWith("");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("missing_token"));

  auto tokens = Tokens({"inventory"});
  std::string token = TokenFrom(*tokens);
  token[token.size() - 5] = token[token.size() - 5] == 'A' ? 'B' : 'A';  // signature byte
  status = PutWith(token);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("bad_signature"));
}

}  // namespace
}  // namespace oauthd::client
