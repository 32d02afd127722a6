#ifndef OAUTHD_SERVER_JOSE_INTERNAL_OPENSSL_UTIL_H_
#define OAUTHD_SERVER_JOSE_INTERNAL_OPENSSL_UTIL_H_

// RAII owners for OpenSSL objects and error-queue handling. Internal to
// server/jose.

#include <memory>
#include <string>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "absl/strings/string_view.h"

namespace oauthd::jose::internal {

struct OpenSslDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};

using PkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslDeleter>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OpenSslDeleter>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, OpenSslDeleter>;
using BioPtr = std::unique_ptr<BIO, OpenSslDeleter>;
using BignumPtr = std::unique_ptr<BIGNUM, OpenSslDeleter>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, OpenSslDeleter>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, OpenSslDeleter>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, OpenSslDeleter>;

// Returns the reason of the earliest error on this thread's OpenSSL error
// queue (e.g. "unsupported"), or `fallback` if the queue is empty, and
// clears the queue so later calls do not see stale errors.
std::string ConsumeOpenSslError(absl::string_view fallback = "unknown OpenSSL error");

// Returns a read-only memory BIO over `data` (which must outlive it).
BioPtr MemoryBio(absl::string_view data);

// Returns `bn` as a big-endian byte string of its minimal length.
std::string BignumToBytes(const BIGNUM* bn);

}  // namespace oauthd::jose::internal

#endif  // OAUTHD_SERVER_JOSE_INTERNAL_OPENSSL_UTIL_H_
