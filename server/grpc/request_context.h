#ifndef OAUTHD_SERVER_GRPC_REQUEST_CONTEXT_H_
#define OAUTHD_SERVER_GRPC_REQUEST_CONTEXT_H_

#include <grpcpp/grpcpp.h>

#include <map>
#include <string>

#include "absl/strings/string_view.h"
#include "server/core/request_context.h"

namespace oauthd::grpc_api {

// Metadata key in which oauth-gateway passes its HTTP caller's address.
inline constexpr char kSourceAddressMetadata[] = "oauthd-source-address";

// Metadata key that marks calls from oauthd's own HTTP endpoints over the
// in-process channel (--http_listen); its value is InProcessCallKey().
inline constexpr char kInProcessMetadata[] = "oauthd-in-process";

// 256 random bits (hex) made once per process: the value of
// kInProcessMetadata. gRPC names an in-process peer only "unknown", which
// must not be trusted by itself; no one outside the process knows this key.
// Never logged. Thread-safe.
const std::string& InProcessCallKey();

// Where a call came from. The peer's IP address, except for calls over a
// local connection (unix socket or loopback: the sidecar in the pod; or
// the in-process channel carrying InProcessCallKey()), whose
// `oauthd-source-address` metadata, when it is a valid IP address, names
// the real caller. A remote peer cannot set it: it could otherwise spread
// its guesses over made-up addresses (login_throttle.h).
RequestContext ContextOf(const grpc::ServerContextBase& ctx);

// The IP address in a gRPC peer string ("ipv4:10.0.0.7:5123",
// "ipv6:[::1]:5123"); "" for unix sockets and anything else.
std::string PeerIp(absl::string_view peer);

// Whether a call from `peer` with `metadata` may name its caller's address
// in kSourceAddressMetadata: a local peer (IsLocalPeer), or a call that
// carries InProcessCallKey() in kInProcessMetadata (compared in constant
// time). Thread-safe.
bool BelievesForwardedAddress(absl::string_view peer,
                              const std::multimap<grpc::string_ref, grpc::string_ref>& metadata);

// True for unix-socket peers and loopback IPs.
bool IsLocalPeer(absl::string_view peer);

}  // namespace oauthd::grpc_api

#endif  // OAUTHD_SERVER_GRPC_REQUEST_CONTEXT_H_
