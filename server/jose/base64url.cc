#include "server/jose/base64url.h"


#include "absl/status/status.h"
#include "absl/strings/escaping.h"

namespace oauthd::jose {
namespace {

// Value of a base64url alphabet character, or -1.
int DecodeChar(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

}  // namespace

std::string Base64UrlEncode(absl::string_view data) {
  return absl::WebSafeBase64Escape(data);
}

void Base64UrlAppend(absl::string_view data, std::string* out) {
  if (out->empty()) {
    absl::WebSafeBase64Escape(data, out);
    return;
  }
  std::string encoded;
  absl::WebSafeBase64Escape(data, &encoded);
  out->append(encoded);
}

bool Base64UrlDecodeTo(absl::string_view encoded, std::string* out) {
  out->clear();
  if (encoded.empty()) return true;
  if (encoded.size() % 4 == 1) return false;
  for (char c : encoded) {
    if (DecodeChar(c) < 0) return false;
  }
  // A final group of 2 characters carries 12 bits for 8 bits of data, one of
  // 3 carries 18 bits for 16: the unused low bits must be zero.
  const int last = DecodeChar(encoded.back());
  switch (encoded.size() % 4) {
    case 2:
      if ((last & 0x0F) != 0) return false;
      break;
    case 3:
      if ((last & 0x03) != 0) return false;
      break;
    default:
      break;
  }
  return absl::WebSafeBase64Unescape(encoded, out);
}

absl::StatusOr<std::string> Base64UrlDecode(absl::string_view encoded) {
  std::string out;
  if (!Base64UrlDecodeTo(encoded, &out)) {
    return absl::InvalidArgumentError("invalid base64url (RFC 4648 §5, unpadded)");
  }
  return out;
}

}  // namespace oauthd::jose
