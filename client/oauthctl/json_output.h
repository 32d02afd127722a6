#ifndef OAUTHD_CLIENT_OAUTHCTL_JSON_OUTPUT_H_
#define OAUTHD_CLIENT_OAUTHCTL_JSON_OUTPUT_H_

#include <string>

#include "google/protobuf/message.h"

namespace oauthctl {

// `message` as one line of JSON for --json: proto field names, fields at
// their proto3 default left out (as protobuf's JSON printer does), fields
// with presence (optional, messages) printed when set. Unlike proto3's JSON
// mapping, 64-bit integers are JSON numbers (they are seconds, counts and
// timestamps here, far below 2^53), so `jq '.expires_in + 1'` works. Enums
// print as their names, bytes as base64. Thread-safe.
std::string MessageToJson(const google::protobuf::Message& message);

}  // namespace oauthctl

#endif  // OAUTHD_CLIENT_OAUTHCTL_JSON_OUTPUT_H_
