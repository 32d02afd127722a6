#ifndef OAUTHD_STORAGE_COUNTER_STORE_H_
#define OAUTHD_STORAGE_COUNTER_STORE_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace oauthd::storage {

// Fixed-window counters for brute-force protection (login attempts per
// source address, per username, and per username and address). A window
// starts with the first increment and ends `window` later, when the counter
// disappears.
class CounterStore {
 public:
  virtual ~CounterStore() = default;

  // Adds one and returns the new count; starts the window if there was none.
  virtual absl::StatusOr<int64_t> Increment(absl::string_view key,
                                            absl::Duration window) = 0;
  // The current count, 0 when there is none.
  virtual absl::StatusOr<int64_t> Get(absl::string_view key) = 0;
  virtual absl::Status Reset(absl::string_view key) = 0;
  // Takes one back (an attempt counted in advance that turned out to be a
  // success). Never goes below zero, never creates a counter, keeps the
  // window.
  virtual absl::Status Decrement(absl::string_view key) = 0;
};

}  // namespace oauthd::storage

#endif  // OAUTHD_STORAGE_COUNTER_STORE_H_
