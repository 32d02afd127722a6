#ifndef OAUTHD_CLIENT_LIB_GRPC_AUTH_H_
#define OAUTHD_CLIENT_LIB_GRPC_AUTH_H_

// gRPC glue for OAuth bearer tokens (RFC 6750 §2.1, as "authorization"
// metadata):
//   - client side: call credentials that attach a TokenSource's token;
//   - server side: ServerAuthenticator, which verifies incoming tokens with a
//     Verifier -- before the handler runs, as a grpc::AuthMetadataProcessor,
//     and/or in the handler -- and gives the handler the typed claims.
//
// Client:
//   auto creds = grpc::CompositeChannelCredentials(
//       grpc::SslCredentials({}), TokenSourceCallCredentials(token_source));
//   auto channel = grpc::CreateChannel("inventory:443", creds);
//
// Server:
//   auto auth = ServerAuthenticator::Create(verifier);
//   auto creds = grpc::SslServerCredentials(...);
//   creds->SetAuthMetadataProcessor(auth->MetadataProcessor());   // reject early
//   ...
//   // in a handler:
//   VerifyResult caller = auth->Authenticate(*context, {"inventory.write"});
//   if (!caller.ok()) return reactor->Finish(ToGrpcStatus(caller.error()));
//   Record(caller->subject);

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <grpcpp/security/auth_metadata_processor.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/status.h>
#include <grpcpp/support/string_ref.h>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "client/lib/token_source.h"
#include "client/lib/verifier.h"

namespace oauthd::client {

// ---------------------------------------------------------------- client side

struct TokenCredentialsOptions {
  // gRPC sends call credentials only over connections with privacy and
  // integrity (TLS, ALTS, local Unix sockets). Set to true to also send the
  // token over unprotected connections (insecure channels, local TCP) --
  // only for loopback or a network that is otherwise protected (a mesh with
  // mTLS sidecars): a bearer token is as good as a password.
  bool allow_insecure_transport = false;
};

// Call credentials adding "authorization: Bearer <token>" from `source` to
// every call. A TokenSource failure fails the call before it is sent (gRPC
// reports it as UNAVAILABLE with the TokenSource's message). GetToken may
// block on a call to oauthd; gRPC runs the plugin on its own threads.
std::shared_ptr<grpc::CallCredentials> TokenSourceCallCredentials(
    std::shared_ptr<TokenSource> source, TokenCredentialsOptions options = {});

// ---------------------------------------------------------------- server side

struct ServerAuthOptions {
  // Full method names ("/package.Service/Method") that need no token. By
  // default the gRPC health checks, so that probes keep working. Prefix
  // match with a trailing "*" ("/grpc.reflection.v1alpha.ServerReflection/*").
  std::vector<std::string> public_methods = {"/grpc.health.v1.Health/Check",
                                             "/grpc.health.v1.Health/Watch"};
  // Scopes required per full method name, checked by the metadata processor
  // in addition to the Verifier's required_scopes.
  std::map<std::string, std::vector<std::string>> method_scopes;
  // Verified tokens are remembered this long (at most until they expire) so
  // that the handler's Authenticate after the processor, and later calls with
  // the same token, do not verify the signature again. In online mode a
  // revocation may go unnoticed for this long (plus the Verifier's
  // introspection_cache_ttl). Zero turns the cache off.
  absl::Duration cache_ttl = absl::Seconds(5);
  size_t cache_size = 4096;
};

// Thread-safe; one per server.
class ServerAuthenticator : public std::enable_shared_from_this<ServerAuthenticator> {
 public:
  static std::shared_ptr<ServerAuthenticator> Create(std::shared_ptr<Verifier> verifier,
                                                     ServerAuthOptions options = {});

  // An AuthMetadataProcessor that verifies the bearer token of every call
  // before its handler runs (except public_methods) and ends refused calls
  // with UNAUTHENTICATED, PERMISSION_DENIED (insufficient scope) or
  // UNAVAILABLE (keys or Introspect unreachable). Install it with
  // ServerCredentials::SetAuthMetadataProcessor. gRPC 1.51 accepts
  // processors only on secure server credentials (TLS, ALTS,
  // grpc::experimental::LocalServerCredentials); with
  // InsecureServerCredentials, call Authenticate in each handler instead.
  // The processor runs on gRPC's executor threads (it may block on oauthd)
  // and keeps this authenticator alive.
  std::shared_ptr<grpc::AuthMetadataProcessor> MetadataProcessor();

  // The verified claims of the current call, for handlers: the bearer token
  // from the call's "authorization" metadata, verified (or found in the cache
  // filled by the processor), and checked for `required_scopes`. Verification
  // is CPU work (~70 µs for ES256) unless keys or an introspection answer
  // must be fetched, which blocks.
  VerifyResult Authenticate(const grpc::CallbackServerContext& context,
                            absl::Span<const absl::string_view> required_scopes = {});
  VerifyResult Authenticate(const grpc::ServerContext& context,
                            absl::Span<const absl::string_view> required_scopes = {});
  // The same from a call's metadata, for other call types.
  VerifyResult Authenticate(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
                            absl::Span<const absl::string_view> required_scopes = {});

  Verifier& verifier() { return *verifier_; }

  struct Stats {
    int64_t verified = 0;    // tokens verified with the Verifier (successfully or not)
    int64_t cache_hits = 0;  // calls answered from the cache
  };
  Stats stats() const;

 private:
  class Processor;
  struct CacheEntry {
    AccessToken claims;
    absl::Time until;
  };

  ServerAuthenticator(std::shared_ptr<Verifier> verifier, ServerAuthOptions options);

  // Verifies `token` (cached), then checks `required_scopes`.
  VerifyResult VerifyToken(absl::string_view token,
                           absl::Span<const absl::string_view> required_scopes);
  bool IsPublic(absl::string_view method) const;

  const std::shared_ptr<Verifier> verifier_;
  const ServerAuthOptions options_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, CacheEntry> cache_ ABSL_GUARDED_BY(mu_);
  std::atomic<int64_t> verified_{0};
  std::atomic<int64_t> cache_hits_{0};
};

// The bearer token in "authorization" metadata ("Bearer <token>", scheme
// case-insensitive, RFC 6750 §2.1). Returns kMissingToken if there is none,
// kMalformed if the value is not a single bearer credential or the header
// appears more than once.
std::optional<VerifyError> ExtractBearerToken(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata, std::string* token);

// The gRPC status for a refused call: UNAUTHENTICATED, PERMISSION_DENIED
// (insufficient scope) or UNAVAILABLE, with a message naming the reason and,
// in the status details, an oauth.v1.OAuthError whose error is the RFC 6750
// code ("invalid_token", "insufficient_scope", "invalid_request") --
// the same typed error shape oauthd uses.
grpc::Status ToGrpcStatus(const VerifyError& error);

}  // namespace oauthd::client

#endif  // OAUTHD_CLIENT_LIB_GRPC_AUTH_H_
