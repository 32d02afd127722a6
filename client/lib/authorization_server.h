#ifndef OAUTHD_CLIENT_LIB_AUTHORIZATION_SERVER_H_
#define OAUTHD_CLIENT_LIB_AUTHORIZATION_SERVER_H_

// The three oauth.v1.TokenService calls the client library makes, behind an
// interface so that TokenSource and Verifier can be tested without a server,
// and the gRPC implementation of it.

#include <memory>
#include <optional>
#include <optional>

#include <grpcpp/channel.h>
#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "oauth/v1/error.pb.h"
#include "oauth/v1/token.pb.h"

namespace oauthd::client {

// Failed calls return an absl::Status with the gRPC code carried over
// (UNAUTHENTICATED for invalid_client, UNAVAILABLE when oauthd or its storage
// is unreachable, ...), the message "<error>: <error_description>", and the
// typed oauth.v1.OAuthError from the status details as a payload (see
// OAuthErrorOf).
//
// Implementations must be thread-safe.
class AuthorizationServer {
 public:
  virtual ~AuthorizationServer() = default;

  // TokenService.IssueToken (RFC 6749 §4.4 for client_credentials).
  virtual absl::StatusOr<oauth::v1::TokenResponse> IssueToken(
      const oauth::v1::IssueTokenRequest& request) = 0;

  // TokenService.GetJwks: the published signing keys.
  virtual absl::StatusOr<oauth::v1::GetJwksResponse> GetJwks() = 0;

  // TokenService.Introspect (RFC 7662).
  virtual absl::StatusOr<oauth::v1::IntrospectResponse> Introspect(
      const oauth::v1::IntrospectRequest& request) = 0;

  // One open TokenService.WatchRevocations stream.
  class RevocationStream {
   public:
    virtual ~RevocationStream() = default;
    // The next update; false when the stream ended (then call Finish).
    // Blocks until one arrives.
    virtual bool Next(oauth::v1::RevocationUpdate* update) = 0;
    // Makes a blocked or later Next return false. Thread-safe.
    virtual void Cancel() = 0;
    // How the stream ended.
    virtual absl::Status Finish() = 0;
  };
  // TokenService.WatchRevocations. The default answers UNIMPLEMENTED (test
  // doubles need not stream).
  virtual absl::StatusOr<std::unique_ptr<RevocationStream>> WatchRevocations(
      const oauth::v1::WatchRevocationsRequest& request) {
    (void)request;
    return absl::UnimplementedError("WatchRevocations is not available");
  }
};

struct GrpcAuthorizationServerOptions {
  // Deadline of each call.
  absl::Duration timeout = absl::Seconds(5);
  // Wait for the channel to connect (up to `timeout`) instead of failing at
  // once with UNAVAILABLE while oauthd is unreachable.
  bool wait_for_ready = false;
};

// An AuthorizationServer talking to oauthd over `channel`. The channel must
// not carry call credentials backed by a TokenSource that uses this server
// (that would ask for a token to get a token).
std::shared_ptr<AuthorizationServer> NewGrpcAuthorizationServer(
    std::shared_ptr<grpc::ChannelInterface> channel,
    GrpcAuthorizationServerOptions options = {});

// Type URL of the oauth.v1.OAuthError payload of statuses returned by the
// gRPC AuthorizationServer.
inline constexpr absl::string_view kOAuthErrorPayloadUrl =
    "type.googleapis.com/oauth.v1.OAuthError";

// Converts a failed gRPC call's status as described above. OK stays OK.
absl::Status StatusFromGrpc(const grpc::Status& status);

// The OAuth error attached to `status` by StatusFromGrpc, or nullopt.
std::optional<oauth::v1::OAuthError> OAuthErrorOf(const absl::Status& status);

}  // namespace oauthd::client

#endif  // OAUTHD_CLIENT_LIB_AUTHORIZATION_SERVER_H_
