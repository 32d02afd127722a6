#include "server/jose/sha256.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace oauthd::jose {
namespace {

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "oauthd: SHA-256 unavailable: %s\n", what);
  std::abort();
}

const EVP_MD* FetchedSha256() {
  static const EVP_MD* const md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (fetched == nullptr) Die("EVP_MD_fetch");
    return fetched;  // kept for the life of the process
  }();
  return md;
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

}  // namespace

std::array<uint8_t, 32> Sha256Digest(absl::string_view data) {
  thread_local std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (ctx == nullptr) Die("EVP_MD_CTX_new");
  std::array<uint8_t, 32> out;
  unsigned int len = 0;
  if (EVP_DigestInit_ex2(ctx.get(), FetchedSha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), out.data(), &len) != 1 || len != out.size()) {
    Die("digest");
  }
  return out;
}

}  // namespace oauthd::jose
