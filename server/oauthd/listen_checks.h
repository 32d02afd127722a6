#ifndef OAUTHD_SERVER_OAUTHD_LISTEN_CHECKS_H_
#define OAUTHD_SERVER_OAUTHD_LISTEN_CHECKS_H_

// Start-up checks of oauthd's listen flags (--listen, --admin_listen,
// --local_listen), run before anything else starts so a mistake costs one
// line and no connection to Redis.

#include <grpcpp/server_builder.h>

namespace oauthd {

// Stops oauthd (exit 2, one line) when a listen flag is malformed (host
// required, port 1-65535, unix:/absolute/path), and (exit 1, one line naming
// the port) when another process already listens there. Call after the flags
// are parsed.
void CheckListenFlags();

// Applies what every oauthd gRPC listener needs to `builder`: no
// SO_REUSEPORT, so a second oauthd on a taken port fails to bind instead of
// sharing the port (and half the connections) with the first.
void ConfigureListenerOptions(grpc::ServerBuilder& builder);

}  // namespace oauthd

#endif  // OAUTHD_SERVER_OAUTHD_LISTEN_CHECKS_H_
