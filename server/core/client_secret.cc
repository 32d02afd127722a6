#include "server/core/client_secret.h"

#include "absl/strings/str_cat.h"
#include "server/core/hashing.h"
#include "server/core/random.h"

namespace oauthd {

std::string GenerateClientSecret() { return RandomToken(32); }

HashedSecret HashClientSecret(absl::string_view secret) {
  HashedSecret out;
  out.salt = RandomBytes(16);
  out.hash = Sha256(absl::StrCat(out.salt, secret));
  return out;
}

bool VerifyClientSecret(absl::string_view secret, absl::string_view salt,
                        absl::string_view hash) {
  if (hash.empty()) return false;
  return ConstantTimeEquals(Sha256(absl::StrCat(salt, secret)), hash);
}

}  // namespace oauthd
