#include "client/lib/authorization_server.h"

#include <string>
#include <utility>

#include <grpcpp/client_context.h>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "google/rpc/status.pb.h"
#include "oauth/v1/token.grpc.pb.h"

namespace oauthd::client {
namespace {

class GrpcAuthorizationServer final : public AuthorizationServer {
 public:
  GrpcAuthorizationServer(std::shared_ptr<grpc::ChannelInterface> channel,
                          GrpcAuthorizationServerOptions options)
      : stub_(oauth::v1::TokenService::NewStub(std::move(channel))), options_(options) {}

  absl::StatusOr<oauth::v1::TokenResponse> IssueToken(
      const oauth::v1::IssueTokenRequest& request) override {
    oauth::v1::TokenResponse response;
    grpc::ClientContext context;
    Prepare(&context);
    grpc::Status status = stub_->IssueToken(&context, request, &response);
    if (!status.ok()) return StatusFromGrpc(status);
    return response;
  }

  absl::StatusOr<oauth::v1::GetJwksResponse> GetJwks() override {
    oauth::v1::GetJwksResponse response;
    grpc::ClientContext context;
    Prepare(&context);
    grpc::Status status = stub_->GetJwks(&context, oauth::v1::GetJwksRequest(), &response);
    if (!status.ok()) return StatusFromGrpc(status);
    return response;
  }

  absl::StatusOr<oauth::v1::IntrospectResponse> Introspect(
      const oauth::v1::IntrospectRequest& request) override {
    oauth::v1::IntrospectResponse response;
    grpc::ClientContext context;
    Prepare(&context);
    grpc::Status status = stub_->Introspect(&context, request, &response);
    if (!status.ok()) return StatusFromGrpc(status);
    return response;
  }

  // A long-lived stream: no deadline; the caller cancels it.
  class Stream final : public RevocationStream {
   public:
    Stream(oauth::v1::TokenService::Stub& stub, const oauth::v1::WatchRevocationsRequest& request,
           bool wait_for_ready) {
      context_.set_wait_for_ready(wait_for_ready);
      reader_ = stub.WatchRevocations(&context_, request);
    }
    bool Next(oauth::v1::RevocationUpdate* update) override { return reader_->Read(update); }
    void Cancel() override { context_.TryCancel(); }
    absl::Status Finish() override { return StatusFromGrpc(reader_->Finish()); }

   private:
    grpc::ClientContext context_;
    std::unique_ptr<grpc::ClientReader<oauth::v1::RevocationUpdate>> reader_;
  };

  absl::StatusOr<std::unique_ptr<RevocationStream>> WatchRevocations(
      const oauth::v1::WatchRevocationsRequest& request) override {
    return std::make_unique<Stream>(*stub_, request, options_.wait_for_ready);
  }

 private:
  void Prepare(grpc::ClientContext* context) const {
    context->set_deadline(absl::ToChronoTime(absl::Now() + options_.timeout));
    context->set_wait_for_ready(options_.wait_for_ready);
  }

  std::unique_ptr<oauth::v1::TokenService::Stub> stub_;
  GrpcAuthorizationServerOptions options_;
};

}  // namespace

std::shared_ptr<AuthorizationServer> NewGrpcAuthorizationServer(
    std::shared_ptr<grpc::ChannelInterface> channel, GrpcAuthorizationServerOptions options) {
  return std::make_shared<GrpcAuthorizationServer>(std::move(channel), options);
}

absl::Status StatusFromGrpc(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  // gRPC and Abseil share the canonical code numbers.
  const auto code = static_cast<absl::StatusCode>(status.error_code());
  google::rpc::Status details;
  oauth::v1::OAuthError error;
  if (!status.error_details().empty() && details.ParseFromString(status.error_details())) {
    for (const google::protobuf::Any& any : details.details()) {
      if (any.UnpackTo(&error)) break;
    }
  }
  if (error.error().empty()) return absl::Status(code, status.error_message());
  absl::Status result(code, error.error_description().empty()
                                ? error.error()
                                : absl::StrCat(error.error(), ": ", error.error_description()));
  result.SetPayload(kOAuthErrorPayloadUrl, absl::Cord(error.SerializeAsString()));
  return result;
}

std::optional<oauth::v1::OAuthError> OAuthErrorOf(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kOAuthErrorPayloadUrl);
  if (!payload.has_value()) return std::nullopt;
  oauth::v1::OAuthError error;
  if (!error.ParseFromString(std::string(*payload))) return std::nullopt;
  return error;
}

}  // namespace oauthd::client
