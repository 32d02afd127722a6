#include "server/core/audience.h"

#include <algorithm>

#include "server/core/config.h"
#include "server/core/oauth_error.h"

namespace oauthd {

absl::StatusOr<std::vector<std::string>> ResolveAudiences(
    const google::protobuf::RepeatedPtrField<std::string>& requested,
    const oauth::admin::v1::Client& client) {
  std::vector<std::string> out;
  if (requested.empty()) {
    out.push_back(client.audiences().empty() ? client.client_id()
                                             : client.audiences(0));
    return out;
  }
  if (static_cast<size_t>(requested.size()) > kMaxResources) {
    return InvalidRequest("too many resource parameters");
  }
  for (const std::string& r : requested) {
    if (std::find(client.audiences().begin(), client.audiences().end(), r) ==
        client.audiences().end()) {
      return OAuthError(ErrorCode::kInvalidTarget,
                        "resource is not an audience this client may request");
    }
    if (std::find(out.begin(), out.end(), r) == out.end()) out.push_back(r);
  }
  return out;
}

}  // namespace oauthd
