#ifndef OAUTHD_SERVER_CORE_AUDIENCE_H_
#define OAUTHD_SERVER_CORE_AUDIENCE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "oauth/admin/v1/admin.pb.h"

namespace oauthd {

// The `aud` of an access token (RFC 9068 §3, RFC 8707 resource indicators).
// Requested resources must each be one of the client's audiences (else
// invalid_target); none requested gives the client's first audience, or the
// client id when the client has none configured.
absl::StatusOr<std::vector<std::string>> ResolveAudiences(
    const google::protobuf::RepeatedPtrField<std::string>& requested,
    const oauth::admin::v1::Client& client);

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_AUDIENCE_H_
