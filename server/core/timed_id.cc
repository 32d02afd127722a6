#include "server/core/timed_id.h"

#include "server/core/random.h"
#include "server/jose/base64url.h"

namespace oauthd {
namespace {

constexpr size_t kBytes = 16;
constexpr size_t kTimeBytes = 6;

}  // namespace

std::string NewTimedId(int64_t instant_ms) {
  std::string raw = RandomBytes(kBytes);
  for (size_t i = 0; i < kTimeBytes; ++i) {
    raw[i] = static_cast<char>((instant_ms >> (8 * (kTimeBytes - 1 - i))) & 0xff);
  }
  return jose::Base64UrlEncode(raw);
}

std::optional<int64_t> TimedIdInstantMs(absl::string_view id) {
  std::string raw;
  if (id.size() != 22 || !jose::Base64UrlDecodeTo(id, &raw) || raw.size() != kBytes) {
    return std::nullopt;
  }
  int64_t ms = 0;
  for (size_t i = 0; i < kTimeBytes; ++i) ms = (ms << 8) | static_cast<unsigned char>(raw[i]);
  return ms;
}

}  // namespace oauthd
