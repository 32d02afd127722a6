#ifndef OAUTHD_TESTS_FUZZ_FUZZ_INPUT_H_
#define OAUTHD_TESTS_FUZZ_FUZZ_INPUT_H_

// Splitting one fuzz input into the several values a target needs, so that
// seed files stay readable text: fields are separated by '\n' and the last
// field takes the rest (it may contain newlines).

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/strings/string_view.h"

namespace oauthd::fuzz {

inline absl::string_view AsView(const uint8_t* data, size_t size) {
  return absl::string_view(reinterpret_cast<const char*>(data), size);
}

// Exactly `count` fields: missing ones are empty.
std::vector<absl::string_view> SplitFields(absl::string_view input, size_t count);

}  // namespace oauthd::fuzz

#endif  // OAUTHD_TESTS_FUZZ_FUZZ_INPUT_H_
