#ifndef OAUTHD_CLIENT_LIB_CLOCK_H_
#define OAUTHD_CLIENT_LIB_CLOCK_H_

// Injectable time source of the client library: production code uses
// SystemClock(); tests pass a fake to move time without sleeping.

#include <functional>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace oauthd::client {

// Returns the current time. Must be thread-safe: TokenSource and Verifier
// call it from every thread that uses them.
using Clock = std::function<absl::Time()>;

// absl::Now().
inline Clock SystemClock() {
  return [] { return absl::Now(); };
}

}  // namespace oauthd::client

#endif  // OAUTHD_CLIENT_LIB_CLOCK_H_
