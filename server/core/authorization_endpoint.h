#ifndef OAUTHD_SERVER_CORE_AUTHORIZATION_ENDPOINT_H_
#define OAUTHD_SERVER_CORE_AUTHORIZATION_ENDPOINT_H_

#include "absl/status/statusor.h"
#include "oauth/v1/token.pb.h"
#include "server/core/client_registry.h"
#include "server/core/clock.h"
#include "server/core/request_context.h"
#include "server/core/config.h"
#include "server/core/resource_owner_authenticator.h"
#include "storage/code_store.h"

namespace oauthd {

// The authorization endpoint (RFC 6749 §4.1.1-4.1.2) for response_type=code,
// with PKCE (RFC 7636) and RFC 9207's `iss`.
//
// Checks run in the order that decides where errors may go (§4.1.2.1): an
// unknown client or an unregistered redirect_uri fails without a
// redirect_uri in the error (the gateway must show a page, never redirect);
// every later error carries the redirect_uri and state.
class AuthorizationEndpoint {
 public:
  AuthorizationEndpoint(const ServerConfig& config, ClientRegistry& clients,
                        ResourceOwnerAuthenticator& owners, storage::CodeStore& codes,
                        Clock clock)
      : config_(config), clients_(clients), owners_(owners), codes_(codes),
        clock_(std::move(clock)) {}

  absl::StatusOr<oauth::v1::AuthorizeResponse> Authorize(
      const oauth::v1::AuthorizeRequest& request, const RequestContext& context);

 private:
  const ServerConfig& config_;
  ClientRegistry& clients_;
  ResourceOwnerAuthenticator& owners_;
  storage::CodeStore& codes_;
  const Clock clock_;
};

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_AUTHORIZATION_ENDPOINT_H_
