#include "server/jose/key_generation.h"

#include <openssl/pem.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "server/jose/internal/openssl_util.h"

namespace oauthd::jose {
namespace {

constexpr unsigned int kGeneratedRsaBits = 3072;

}  // namespace

absl::StatusOr<std::string> GeneratePrivateKeyPem(Algorithm alg) {
  internal::PkeyPtr pkey;
  switch (alg) {
    case Algorithm::kRs256:
      pkey.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{kGeneratedRsaBits}));
      break;
    case Algorithm::kEs256:
      pkey.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
      break;
    case Algorithm::kEdDsa:
      pkey.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
      break;
  }
  if (pkey == nullptr) {
    return absl::InternalError(absl::StrCat("cannot generate a ", AlgorithmName(alg),
                                            " key: ", internal::ConsumeOpenSslError()));
  }
  internal::BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_PKCS8PrivateKey(bio.get(), pkey.get(), nullptr, nullptr,
                                                      0, nullptr, nullptr) != 1) {
    return absl::InternalError(
        absl::StrCat("cannot encode the private key: ", internal::ConsumeOpenSslError()));
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  std::string pem(data, static_cast<size_t>(len));
  // The BIO's buffer is freed without wiping; clear the key text first.
  OPENSSL_cleanse(data, static_cast<size_t>(len));
  return pem;
}

}  // namespace oauthd::jose
