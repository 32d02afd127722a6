#include "server/core/refresh_token_format.h"

#include "server/core/timed_id.h"

#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "server/core/random.h"

namespace oauthd {
namespace {

constexpr size_t kFamilyChars = 22;  // 16 bytes
constexpr size_t kSecretChars = 43;  // 32 bytes
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;

bool IsBase64UrlChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool AllBase64Url(absl::string_view s) {
  for (char c : s) {
    if (!IsBase64UrlChar(c)) return false;
  }
  return true;
}

using MacCtx = std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)>;
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

// HMAC-SHA256 and AES-256-GCM are fetched once: OpenSSL 3's implicit fetch
// inside HMAC() and EVP_aes_256_gcm() cost ~7 us of the ~10 us a seal took,
// and every refresh rotation seals (the retry window). Thread-safe: the
// template is only ever duplicated, never used itself.
const EVP_MAC_CTX* HmacSha256Template() {
  static EVP_MAC_CTX* const ctx = [] {
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    EVP_MAC_CTX* c = mac != nullptr ? EVP_MAC_CTX_new(mac) : nullptr;
    EVP_MAC_free(mac);  // the context holds its own reference
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0),
                                 OSSL_PARAM_construct_end()};
    if (c != nullptr && EVP_MAC_CTX_set_params(c, params) != 1) {
      EVP_MAC_CTX_free(c);
      c = nullptr;
    }
    return c;
  }();
  return ctx;
}

const EVP_CIPHER* Aes256Gcm() {
  static EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return cipher;
}

// HMAC-SHA256(key = old token, label); empty if OpenSSL fails.
std::string SealingKey(absl::string_view old_token) {
  static constexpr absl::string_view kLabel = "oauthd refresh successor v1";
  const EVP_MAC_CTX* tmpl = HmacSha256Template();
  MacCtx ctx(tmpl != nullptr ? EVP_MAC_CTX_dup(tmpl) : nullptr, EVP_MAC_CTX_free);
  unsigned char key[32];
  size_t len = 0;
  if (!ctx ||
      EVP_MAC_init(ctx.get(), reinterpret_cast<const unsigned char*>(old_token.data()),
                   old_token.size(), nullptr) != 1 ||
      EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(kLabel.data()),
                     kLabel.size()) != 1 ||
      EVP_MAC_final(ctx.get(), key, &len, sizeof(key)) != 1 || len != sizeof(key)) {
    return "";
  }
  return std::string(reinterpret_cast<char*>(key), len);
}

}  // namespace

std::string NewGrantId(int64_t granted_at_ms) { return NewTimedId(granted_at_ms); }

std::string NewRefreshToken(absl::string_view family_id) {
  return absl::StrCat(family_id, ".", RandomToken(32));
}

std::optional<ParsedRefreshToken> ParseRefreshToken(absl::string_view token) {
  if (token.size() != kFamilyChars + 1 + kSecretChars || token[kFamilyChars] != '.') {
    return std::nullopt;
  }
  absl::string_view family = token.substr(0, kFamilyChars);
  if (!AllBase64Url(family) || !AllBase64Url(token.substr(kFamilyChars + 1))) {
    return std::nullopt;
  }
  return ParsedRefreshToken{std::string(family)};
}

std::string SealSuccessor(absl::string_view old_token, absl::string_view successor) {
  const std::string key = SealingKey(old_token);
  if (key.size() != 32) return "";  // opens to nothing: fails closed
  const std::string nonce = RandomBytes(kNonceBytes);
  std::string out = nonce;
  out.resize(kNonceBytes + successor.size() + kTagBytes);
  auto* ct = reinterpret_cast<unsigned char*>(out.data() + kNonceBytes);
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int len = 0;
  if (!ctx ||
      EVP_EncryptInit_ex2(ctx.get(), Aes256Gcm(),
                          reinterpret_cast<const unsigned char*>(key.data()),
                          reinterpret_cast<const unsigned char*>(nonce.data()), nullptr) != 1 ||
      EVP_EncryptUpdate(ctx.get(), ct, &len,
                        reinterpret_cast<const unsigned char*>(successor.data()),
                        static_cast<int>(successor.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), ct + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                          ct + successor.size()) != 1) {
    return "";  // opens to nothing: the grace replay then fails closed
  }
  return out;
}

std::optional<std::string> OpenSuccessor(absl::string_view old_token,
                                         absl::string_view sealed) {
  if (sealed.size() <= kNonceBytes + kTagBytes) return std::nullopt;
  const std::string key = SealingKey(old_token);
  if (key.size() != 32) return std::nullopt;
  const size_t n = sealed.size() - kNonceBytes - kTagBytes;
  std::string out(n, '\0');
  std::string tag(sealed.substr(kNonceBytes + n));
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int len = 0;
  if (!ctx ||
      EVP_DecryptInit_ex2(ctx.get(), Aes256Gcm(),
                          reinterpret_cast<const unsigned char*>(key.data()),
                          reinterpret_cast<const unsigned char*>(sealed.data()), nullptr) != 1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len,
                        reinterpret_cast<const unsigned char*>(sealed.data() + kNonceBytes),
                        static_cast<int>(n)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + len,
                          &len) != 1) {
    return std::nullopt;
  }
  return out;
}

}  // namespace oauthd
