#include "server/core/user_code.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "server/core/random.h"

namespace oauthd {

std::string NewUserCode() {
  // 240 = 12 * 20: bytes at or above it are dropped so every letter is
  // equally likely.
  constexpr unsigned kLimit = 240;
  std::string code;
  while (code.size() < kUserCodeLength) {
    for (unsigned char b : RandomBytes(16)) {
      if (b >= kLimit) continue;
      code.push_back(kUserCodeAlphabet[b % kUserCodeAlphabet.size()]);
      if (code.size() == kUserCodeLength) break;
    }
  }
  return code;
}

std::optional<std::string> NormalizeUserCode(absl::string_view typed) {
  if (typed.size() > 64) return std::nullopt;
  std::string out;
  for (char c : typed) {
    if (c == '-' || c == ' ') continue;
    const char upper = absl::ascii_toupper(static_cast<unsigned char>(c));
    if (kUserCodeAlphabet.find(upper) == absl::string_view::npos) return std::nullopt;
    out.push_back(upper);
  }
  if (out.size() != kUserCodeLength) return std::nullopt;
  return out;
}

std::string FormatUserCode(absl::string_view canonical) {
  if (canonical.size() != kUserCodeLength) return std::string(canonical);
  return absl::StrCat(canonical.substr(0, 4), "-", canonical.substr(4));
}

}  // namespace oauthd
