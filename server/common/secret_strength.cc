#include "server/common/secret_strength.h"

#include <bitset>

#include "absl/strings/ascii.h"

namespace oauthd {

double EstimatedSecretBits(absl::string_view secret) {
  std::bitset<256> seen;
  bool all_hex = true, all_base64 = true;
  size_t counted = 0;
  for (char ch : secret) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c == '=') continue;  // base64 padding carries no randomness
    ++counted;
    seen.set(c);
    all_hex = all_hex && absl::ascii_isxdigit(c);
    all_base64 = all_base64 && (absl::ascii_isalnum(c) || c == '+' || c == '/' || c == '-' ||
                                c == '_');
  }
  if (seen.count() < 8) return 0;
  const double per_char = all_hex ? 4 : all_base64 ? 6 : 6.5;
  return per_char * static_cast<double>(counted);
}

bool IsPrintableAscii(absl::string_view token) {
  for (char ch : token) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace oauthd
