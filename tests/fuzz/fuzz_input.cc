#include "tests/fuzz/fuzz_input.h"

namespace oauthd::fuzz {

std::vector<absl::string_view> SplitFields(absl::string_view input, size_t count) {
  std::vector<absl::string_view> fields;
  fields.reserve(count);
  while (fields.size() + 1 < count) {
    const size_t newline = input.find('\n');
    if (newline == absl::string_view::npos) break;
    fields.push_back(input.substr(0, newline));
    input.remove_prefix(newline + 1);
  }
  fields.push_back(input);
  fields.resize(count);
  return fields;
}

}  // namespace oauthd::fuzz
