#include "server/gateway/csrf.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace oauthd::gateway {
namespace {

std::string RandomBytes(size_t n) {
  std::string bytes(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) != 1) {
    // Without randomness no token is safe to issue; there is nothing to fall
    // back to.
    std::abort();
  }
  return bytes;
}

void AppendLengthPrefixed(std::string& out, absl::string_view part) {
  absl::StrAppend(&out, part.size(), ":", part, ";");
}

}  // namespace

CsrfProtector::CsrfProtector(std::string key, absl::Duration lifetime)
    : key_(std::move(key)), lifetime_(lifetime) {}

CsrfProtector CsrfProtector::WithRandomKey(absl::Duration lifetime) {
  return CsrfProtector(RandomBytes(32), lifetime);
}

absl::StatusOr<CsrfProtector> CsrfProtector::FromKeyFile(absl::string_view flag,
                                                         const std::string& path,
                                                         absl::Duration lifetime) {
  if (path.empty()) return WithRandomKey(lifetime);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot read ", flag, " ", path,
        " (create one with: head -c 32 /dev/urandom | base64 > ", path, ")"));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string key(absl::StripAsciiWhitespace(buffer.str()));
  if (key.size() < 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("key in ", flag, " ", path, " is shorter than 32 bytes"));
  }
  return CsrfProtector(std::move(key), lifetime);
}

std::string CsrfProtector::NewNonce() { return absl::WebSafeBase64Escape(RandomBytes(32)); }

bool CsrfProtector::IsWellFormedNonce(absl::string_view nonce) {
  if (nonce.size() != 43) return false;
  for (char c : nonce) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) {
      return false;
    }
  }
  return true;
}

std::string CsrfProtector::Mac(int64_t issued, absl::string_view nonce,
                               const Fields& fields) const {
  std::string message = "oauth-gateway-csrf/1;";
  AppendLengthPrefixed(message, absl::StrCat(issued));
  AppendLengthPrefixed(message, nonce);
  for (const auto& [name, value] : fields) {
    AppendLengthPrefixed(message, name);
    AppendLengthPrefixed(message, value);
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &mac_len);
  return absl::WebSafeBase64Escape(absl::string_view(reinterpret_cast<const char*>(mac), mac_len));
}

std::string CsrfProtector::Issue(absl::string_view nonce, const Fields& fields,
                                 absl::Time now) const {
  const int64_t issued = absl::ToUnixSeconds(now);
  return absl::StrCat(issued, ".", Mac(issued, nonce, fields));
}

bool CsrfProtector::Verify(absl::string_view token, absl::string_view nonce, const Fields& fields,
                           absl::Time now) const {
  if (!IsWellFormedNonce(nonce)) return false;
  const size_t dot = token.find('.');
  if (dot == absl::string_view::npos) return false;
  int64_t issued = 0;
  if (!absl::SimpleAtoi(token.substr(0, dot), &issued)) return false;
  const absl::Time issued_at = absl::FromUnixSeconds(issued);
  // A little clock slack in the future; none beyond the lifetime.
  if (issued_at > now + absl::Minutes(1) || now - issued_at > lifetime_) return false;
  const std::string expected = Mac(issued, nonce, fields);
  const absl::string_view given = token.substr(dot + 1);
  return given.size() == expected.size() &&
         CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0;
}

}  // namespace oauthd::gateway
