#include "server/core/hashing.h"

#include <openssl/crypto.h>

#include <array>
#include <cstdint>

#include "absl/strings/escaping.h"
#include "server/jose/sha256.h"

namespace oauthd {

std::string Sha256(absl::string_view data) {
  const std::array<uint8_t, 32> digest = jose::Sha256Digest(data);
  return std::string(digest.begin(), digest.end());
}

std::string Sha256Hex(absl::string_view data) {
  return absl::BytesToHexString(Sha256(data));
}

std::string Sha256Base64Url(absl::string_view data) {
  std::string out;
  absl::WebSafeBase64Escape(Sha256(data), &out);
  return out;
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace oauthd
