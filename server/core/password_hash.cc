#include "server/core/password_hash.h"

#include <openssl/evp.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/strip.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/core/hashing.h"
#include "server/core/random.h"

namespace oauthd {
namespace {

constexpr size_t kHashBytes = 32;

bool Scrypt(absl::string_view password, absl::string_view salt,
            const ScryptParams& p, std::string* out) {
  out->assign(kHashBytes, '\0');
  const uint64_t n = uint64_t{1} << p.log2_n;
  // maxmem: 128 * r * (N + p + 2) bytes plus slack.
  const uint64_t maxmem = 128ull * p.r * (n + p.p + 2) + (1 << 20);
  return EVP_PBE_scrypt(password.data(), password.size(),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        salt.size(), n, p.r, p.p, maxmem,
                        reinterpret_cast<unsigned char*>(out->data()),
                        out->size()) == 1;
}

bool ParseParams(absl::string_view text, ScryptParams* p) {
  // "ln=15,r=8,p=1"
  std::vector<absl::string_view> parts = absl::StrSplit(text, ',');
  if (parts.size() != 3) return false;
  auto value = [](absl::string_view part, absl::string_view name, int* v) {
    return absl::ConsumePrefix(&part, name) && absl::SimpleAtoi(part, v);
  };
  return value(parts[0], "ln=", &p->log2_n) && value(parts[1], "r=", &p->r) &&
         value(parts[2], "p=", &p->p) && p->log2_n >= 1 && p->log2_n <= 20 &&
         p->r >= 1 && p->r <= 32 && p->p >= 1 && p->p <= 16;
}

}  // namespace

absl::StatusOr<std::string> HashPassword(absl::string_view password,
                                         const ScryptParams& params) {
  const std::string salt = RandomBytes(16);
  std::string hash;
  if (!Scrypt(password, salt, params, &hash)) {
    return absl::InternalError("scrypt failed");
  }
  std::string salt64, hash64;
  absl::WebSafeBase64Escape(salt, &salt64);
  absl::WebSafeBase64Escape(hash, &hash64);
  return absl::StrCat("$scrypt$ln=", params.log2_n, ",r=", params.r,
                      ",p=", params.p, "$", salt64, "$", hash64);
}

bool VerifyPassword(absl::string_view password, absl::string_view stored) {
  // "", "scrypt", params, salt, hash
  std::vector<absl::string_view> parts = absl::StrSplit(stored, '$');
  ScryptParams params;
  std::string salt, expected, actual;
  if (parts.size() != 5 || !parts[0].empty() || parts[1] != "scrypt" ||
      !ParseParams(parts[2], &params) ||
      !absl::WebSafeBase64Unescape(parts[3], &salt) ||
      !absl::WebSafeBase64Unescape(parts[4], &expected) ||
      expected.size() != kHashBytes) {
    return false;
  }
  if (!Scrypt(password, salt, params, &actual)) return false;
  return ConstantTimeEquals(actual, expected);
}

const std::string& DummyPasswordHash(const ScryptParams& params) {
  static std::mutex mu;
  static auto* cache = new std::map<std::tuple<int, int, int>, std::string>();
  std::lock_guard<std::mutex> lock(mu);
  auto key = std::make_tuple(params.log2_n, params.r, params.p);
  auto it = cache->find(key);
  if (it == cache->end()) {
    absl::StatusOr<std::string> h = HashPassword(RandomToken(24), params);
    it = cache->emplace(key, h.ok() ? *h : std::string()).first;
  }
  return it->second;
}

}  // namespace oauthd
