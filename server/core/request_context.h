#ifndef OAUTHD_SERVER_CORE_REQUEST_CONTEXT_H_
#define OAUTHD_SERVER_CORE_REQUEST_CONTEXT_H_

#include <string>

namespace oauthd {

// What the transport knows about a request beyond its message: where it
// came from. The gRPC layer fills it (token_service.cc) from the peer
// address, or from the gateway's `oauthd-source-address` metadata when the
// call arrived over a local connection; "" when unknown.
struct RequestContext {
  std::string source_address;  // an IP address, no port
};

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_REQUEST_CONTEXT_H_
