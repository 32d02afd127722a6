#ifndef OAUTHD_SERVER_CORE_CLOCK_H_
#define OAUTHD_SERVER_CORE_CLOCK_H_

#include <functional>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace oauthd {

// Injectable time source: tests pass a fake, production passes absl::Now.
using Clock = std::function<absl::Time()>;

inline Clock SystemClock() { return [] { return absl::Now(); }; }

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_CLOCK_H_
