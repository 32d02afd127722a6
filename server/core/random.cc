#include "server/core/random.h"

#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/escaping.h"

namespace oauthd {

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()),
                 static_cast<int>(n)) != 1) {
    std::fputs("oauthd: fatal: OpenSSL RAND_bytes failed\n", stderr);
    std::abort();
  }
  return out;
}

std::string RandomToken(size_t n) {
  std::string out;
  absl::WebSafeBase64Escape(RandomBytes(n), &out);
  return out;
}

}  // namespace oauthd
