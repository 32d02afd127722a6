// gRPC glue on an in-process server: the metadata processor and handler-side
// Authenticate (with the example InventoryService), call credentials from a
// TokenSource, bearer parsing and status mapping.

#include "client/lib/grpc_auth.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/rpc/status.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "inventory_service.h"
#include "oauth/v1/error.pb.h"
#include "tests/client/test_util.h"
#include "tests/jose/test_keys.h"

namespace oauthd::client {
namespace {

using ::testing::HasSubstr;
using example::inventory::v1::GetItemRequest;
using example::inventory::v1::Inventory;
using example::inventory::v1::Item;
using example::inventory::v1::PutItemRequest;
using jose::Algorithm;
using jose::testing::TestKey;
using testing::FakeAuthorizationServer;
using testing::JwksOf;
using testing::Mint;
using testing::ValidClaims;

oauth::v1::OAuthError OAuthErrorOf(const grpc::Status& status) {
  google::rpc::Status details;
  oauth::v1::OAuthError error;
  if (details.ParseFromString(status.error_details()) && details.details_size() > 0) {
    details.details(0).UnpackTo(&error);
  }
  return error;
}

std::string SocketPath(absl::string_view name) {
  return absl::StrCat("/tmp/oauth-client-test-", getpid(), "-", name, ".sock");
}

class GrpcAuthTest : public ::testing::Test {
 protected:
  GrpcAuthTest() : server_(std::make_shared<FakeAuthorizationServer>()) {
    server_->jwks = [] {
      return absl::StatusOr<oauth::v1::GetJwksResponse>(
          JwksOf({&TestKey(Algorithm::kEs256)}));
    };
    server_->issue = [this](const oauth::v1::IssueTokenRequest& request) {
      jose::AccessTokenClaims claims = ValidClaims(absl::Now());
      claims.client_id = request.client().client_id();
      claims.sub = request.client().client_id();
      claims.scope = request.client_credentials().scope();
      oauth::v1::TokenResponse response;
      response.set_access_token(Mint(TestKey(Algorithm::kEs256), claims));
      response.set_token_type("Bearer");
      response.set_expires_in(600);
      return absl::StatusOr<oauth::v1::TokenResponse>(response);
    };
    VerifierOptions options;
    options.issuer = testing::kIssuer;
    options.audience = testing::kAudience;
    verifier_ = *Verifier::Create(server_, options);
  }

  ~GrpcAuthTest() override {
    if (grpc_server_) grpc_server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    if (!socket_.empty()) unlink(socket_.c_str());
  }

  // The example service behind local credentials (a Unix socket) with the
  // authenticator's metadata processor, plus the health service.
  void StartSecure(ServerAuthOptions options = {}) {
    socket_ = SocketPath(::testing::UnitTest::GetInstance()->current_test_info()->name());
    unlink(socket_.c_str());
    auth_ = ServerAuthenticator::Create(verifier_, std::move(options));
    service_ = std::make_unique<inventory::InventoryService>(auth_);
    grpc::EnableDefaultHealthCheckService(true);
    absl::StatusOr<std::unique_ptr<grpc::Server>> server =
        inventory::StartInventoryServer("unix:" + socket_, service_.get(), auth_);
    ASSERT_TRUE(server.ok()) << server.status();
    grpc_server_ = *std::move(server);
    channel_ = grpc::CreateChannel("unix:" + socket_, grpc::experimental::LocalCredentials(UDS));
  }

  // The example service on an insecure TCP port: no processor; the handlers'
  // Authenticate does all the work.
  void StartInsecure() {
    auth_ = ServerAuthenticator::Create(verifier_);
    service_ = std::make_unique<inventory::InventoryService>(auth_);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    grpc_server_ = builder.BuildAndStart();
    ASSERT_NE(grpc_server_, nullptr);
    address_ = absl::StrCat("127.0.0.1:", port);
  }

  std::unique_ptr<grpc::ClientContext> Context(const std::string& token = "") {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
    return context;
  }

  grpc::Status Put(Inventory::Stub& stub, const std::string& token, Item* item = nullptr) {
    PutItemRequest request;
    request.mutable_item()->set_sku("apple");
    request.mutable_item()->set_quantity(3);
    Item ignored;
    return stub.PutItem(Context(token).get(), request, item ? item : &ignored);
  }

  std::string Token(const std::string& scope = "inventory.read inventory.write") {
    jose::AccessTokenClaims claims = ValidClaims(absl::Now());
    claims.scope = scope;
    return Mint(TestKey(Algorithm::kEs256), claims);
  }

  std::shared_ptr<FakeAuthorizationServer> server_;
  std::shared_ptr<Verifier> verifier_;
  std::shared_ptr<ServerAuthenticator> auth_;
  std::unique_ptr<inventory::InventoryService> service_;
  std::unique_ptr<grpc::Server> grpc_server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::string socket_;
  std::string address_;
};

TEST_F(GrpcAuthTest, ProcessorAdmitsValidTokenAndHandlerSeesClaims) {
  StartSecure();
  auto stub = Inventory::NewStub(channel_);
  Item item;
  grpc::Status status = Put(*stub, Token(), &item);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(item.updated_by_subject(), "alice");
  EXPECT_EQ(item.updated_by_client(), "billing");
  GetItemRequest get;
  get.set_sku("apple");
  status = stub->GetItem(Context(Token("inventory.read")).get(), get, &item);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(item.quantity(), 3);
}

TEST_F(GrpcAuthTest, ProcessorRefusesMissingAndInvalidTokens) {
  StartSecure();
  auto stub = Inventory::NewStub(channel_);
  grpc::Status status = Put(*stub, "");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("missing_token"));

  status = Put(*stub, "garbage");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("malformed"));

  jose::AccessTokenClaims claims = ValidClaims(absl::Now() - absl::Hours(1));
  status = Put(*stub, Mint(TestKey(Algorithm::kEs256), claims));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("expired"));

  claims = ValidClaims(absl::Now());
  claims.aud = {"billing"};
  status = Put(*stub, Mint(TestKey(Algorithm::kEs256), claims));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("wrong_audience"));
}

TEST_F(GrpcAuthTest, HandlerChecksScopeWithTypedError) {
  StartSecure();
  auto stub = Inventory::NewStub(channel_);
  grpc::Status status = Put(*stub, Token("inventory.read"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(OAuthErrorOf(status).error(), "insufficient_scope");
}

TEST_F(GrpcAuthTest, ProcessorEnforcesMethodScopes) {
  ServerAuthOptions options;
  options.method_scopes["/example.inventory.v1.Inventory/GetItem"] = {"inventory.audit"};
  StartSecure(options);
  auto stub = Inventory::NewStub(channel_);
  GetItemRequest get;
  get.set_sku("apple");
  Item item;
  grpc::Status status = stub->GetItem(Context(Token()).get(), get, &item);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("inventory.audit"));
  // Other methods are unaffected.
  EXPECT_TRUE(Put(*stub, Token()).ok());
}

TEST_F(GrpcAuthTest, PublicMethodsNeedNoToken) {
  StartSecure();
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = health->Check(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST_F(GrpcAuthTest, VerifiedTokensAreCachedBetweenProcessorAndHandler) {
  StartSecure();
  auto stub = Inventory::NewStub(channel_);
  const std::string token = Token();
  ASSERT_TRUE(Put(*stub, token).ok());
  ASSERT_TRUE(Put(*stub, token).ok());
  // Two calls, each checked by the processor and then the handler: the
  // signature was verified once.
  EXPECT_EQ(auth_->stats().verified, 1);
  EXPECT_EQ(auth_->stats().cache_hits, 3);
  // Refused tokens are not cached.
  ASSERT_FALSE(Put(*stub, "garbage").ok());
  ASSERT_FALSE(Put(*stub, "garbage").ok());
  EXPECT_EQ(auth_->stats().verified, 3);
}

TEST_F(GrpcAuthTest, CallCredentialsAttachTokenSourceTokens) {
  StartSecure();
  TokenSourceOptions options;
  options.client_id = "svc";
  options.scope = "inventory.read inventory.write";
  auto source = *TokenSource::Create(server_, options);
  auto channel = grpc::CreateChannel(
      "unix:" + socket_,
      grpc::CompositeChannelCredentials(grpc::experimental::LocalCredentials(UDS),
                                        TokenSourceCallCredentials(source)));
  auto stub = Inventory::NewStub(channel);
  for (int i = 0; i < 5; ++i) {
    Item item;
    grpc::Status status = Put(*stub, "", &item);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(item.updated_by_client(), "svc");
  }
  EXPECT_EQ(server_->issue_calls, 1);
}

TEST_F(GrpcAuthTest, CallCredentialsFailTheCallWhenNoTokenCanBeHad) {
  StartSecure();
  server_->issue = [](const oauth::v1::IssueTokenRequest&) {
    return absl::StatusOr<oauth::v1::TokenResponse>(
        absl::UnauthenticatedError("invalid_client: bad secret"));
  };
  TokenSourceOptions options;
  options.client_id = "svc";
  auto source = *TokenSource::Create(server_, options);
  auto channel = grpc::CreateChannel(
      "unix:" + socket_,
      grpc::CompositeChannelCredentials(grpc::experimental::LocalCredentials(UDS),
                                        TokenSourceCallCredentials(source)));
  grpc::Status status = Put(*Inventory::NewStub(channel), "");
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.error_message(), HasSubstr("bad secret"));
}

TEST_F(GrpcAuthTest, InsecureTransportNeedsExplicitOptIn) {
  StartInsecure();
  TokenSourceOptions options;
  options.client_id = "svc";
  options.scope = "inventory.read inventory.write";
  auto source = *TokenSource::Create(server_, options);

  // Default: the token is not sent over an unprotected connection.
  auto stub = Inventory::NewStub(grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
  auto context = Context();
  context->set_credentials(TokenSourceCallCredentials(source));
  PutItemRequest request;
  request.mutable_item()->set_sku("pear");
  Item item;
  grpc::Status status = stub->PutItem(context.get(), request, &item);
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(server_->issue_calls, 0);

  TokenCredentialsOptions insecure;
  insecure.allow_insecure_transport = true;
  context = Context();
  context->set_credentials(TokenSourceCallCredentials(source, insecure));
  status = stub->PutItem(context.get(), request, &item);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(item.updated_by_client(), "svc");
}

TEST_F(GrpcAuthTest, HandlerAuthenticatesOnInsecureServer) {
  StartInsecure();
  auto stub = Inventory::NewStub(grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
  Item item;
  grpc::Status status = Put(*stub, Token(), &item);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(item.updated_by_subject(), "alice");

  status = Put(*stub, "");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(OAuthErrorOf(status).error(), "invalid_request");
  status = Put(*stub, "garbage");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(OAuthErrorOf(status).error(), "invalid_token");
}

TEST(ExtractBearerTokenTest, ParsesRfc6750Credentials) {
  using Metadata = std::multimap<grpc::string_ref, grpc::string_ref>;
  std::string token;
  EXPECT_FALSE(ExtractBearerToken(Metadata{{"authorization", "Bearer abc.def"}}, &token));
  EXPECT_EQ(token, "abc.def");
  EXPECT_FALSE(ExtractBearerToken(Metadata{{"authorization", "bearer   xyz "}}, &token));
  EXPECT_EQ(token, "xyz");

  std::optional<VerifyError> error = ExtractBearerToken(Metadata{}, &token);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, VerifyErrorCode::kMissingToken);
  error = ExtractBearerToken(Metadata{{"authorization", "Basic dXNlcjpwYXNz"}}, &token);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, VerifyErrorCode::kMissingToken);
  error = ExtractBearerToken(Metadata{{"authorization", "Bearer a b"}}, &token);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, VerifyErrorCode::kMalformed);
  error = ExtractBearerToken(
      Metadata{{"authorization", "Bearer a"}, {"authorization", "Bearer b"}}, &token);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, VerifyErrorCode::kMalformed);
}

TEST(ToGrpcStatusTest, CarriesTypedOAuthError) {
  grpc::Status status = ToGrpcStatus({VerifyErrorCode::kExpired, "expired at X"});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(status.error_message(), "expired: expired at X");
  EXPECT_EQ(OAuthErrorOf(status).error(), "invalid_token");
  EXPECT_EQ(ToGrpcStatus({VerifyErrorCode::kUnavailable, "down"}).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ToGrpcStatus({VerifyErrorCode::kInsufficientScope, "x"}).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace oauthd::client
