#ifndef OAUTHD_SERVER_CORE_TIMED_ID_H_
#define OAUTHD_SERVER_CORE_TIMED_ID_H_

// Identifiers that carry the instant they were made: 128 bits in base64url
// (22 characters), the first 48 the unix time in milliseconds, big-endian (as
// in UUIDv7), the other 80 random. Access-token jtis and grant ids use them,
// so revocation can compare instants finer than a JWT's `iat` seconds, and
// the in-memory revocation view can tell when a grant was made from its id
// alone (docs/revocation.md). Until the year 10889 the first character is
// 'A' or 'B', so an id never starts with '-' on a command line.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace oauthd {

// A new id for `instant_ms` (> 0). Thread-safe.
std::string NewTimedId(int64_t instant_ms);

// The instant of an id NewTimedId made, nullopt for anything of another form.
std::optional<int64_t> TimedIdInstantMs(absl::string_view id);

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_TIMED_ID_H_
