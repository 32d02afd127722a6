#ifndef OAUTHD_SERVER_COMMON_PORT_CHECK_H_
#define OAUTHD_SERVER_COMMON_PORT_CHECK_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "server/common/listen_address.h"

namespace oauthd {

// Whether another process already listens where `address` would: binds a
// TCP socket (with SO_REUSEADDR and without SO_REUSEPORT, as our servers do)
// to every address the host resolves to, then releases it; for a unix
// socket, tries to connect to it (gRPC would replace the file of a live
// socket). OK when free. FAILED_PRECONDITION "<flag>=<text>: port 8080 is
// already in use ..." when taken; INVALID_ARGUMENT when the host does not
// resolve or is not an address of this machine. The answer can be out of
// date at once: the server must still bind without SO_REUSEPORT.
// Thread-safe.
absl::Status CheckListenAddressFree(absl::string_view flag, absl::string_view text,
                                    const ListenAddress& address);

}  // namespace oauthd

#endif  // OAUTHD_SERVER_COMMON_PORT_CHECK_H_
