#ifndef OAUTHD_SERVER_GRPC_REQUEST_CONTEXT_H_
#define OAUTHD_SERVER_GRPC_REQUEST_CONTEXT_H_

#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/strings/string_view.h"
#include "server/core/request_context.h"

namespace oauthd::grpc_api {

// Metadata key in which oauth-gateway passes its HTTP caller's address.
inline constexpr char kSourceAddressMetadata[] = "oauthd-source-address";

// Where a call came from. The peer's IP address, except for calls over a
// local connection (unix socket or loopback: the sidecar in the pod), whose
// `oauthd-source-address` metadata, when it is a valid IP address, names
// the real caller. A remote peer cannot set it: it could otherwise spread
// its guesses over made-up addresses (login_throttle.h).
RequestContext ContextOf(const grpc::ServerContextBase& ctx);

// The IP address in a gRPC peer string ("ipv4:10.0.0.7:5123",
// "ipv6:[::1]:5123"); "" for unix sockets and anything else.
std::string PeerIp(absl::string_view peer);

// True for unix-socket peers, loopback IPs and gRPC's in-process channel
// (held only by oauthd's own HTTP endpoints, --http_listen).
bool IsLocalPeer(absl::string_view peer);

}  // namespace oauthd::grpc_api

#endif  // OAUTHD_SERVER_GRPC_REQUEST_CONTEXT_H_
