#ifndef OAUTHD_SERVER_JOSE_INTERNAL_PKEY_OPERATIONS_H_
#define OAUTHD_SERVER_JOSE_INTERNAL_PKEY_OPERATIONS_H_

// JWS signing and verification over one EVP_PKEY, shared by SigningKey and
// VerificationKey. Internal to server/jose.
//
// Speed: OpenSSL 3 spends a noticeable share of a P-256 signature on
// algorithm fetching and context setup. Each PkeyOperations therefore keeps
// small pools of contexts already initialised for its key (one per
// concurrent caller at most), so the steady state of Sign/Verify is "hash,
// sign, convert" with no fetch. A pool rather than thread_local storage keeps
// context lifetime tied to the key: destroying a key frees its contexts, and
// a new key can never pick up a context of an old one.
//
// Thread safety: all const methods may be called concurrently. The EVP_PKEY
// is never modified after construction; each context is used by one caller
// at a time.

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "server/jose/algorithm.h"
#include "server/jose/internal/openssl_util.h"

namespace oauthd::jose::internal {

class PkeyOperations {
 public:
  // `pkey` must be of the type `alg` needs (checked by the callers, which
  // produce the user-facing messages).
  PkeyOperations(PkeyPtr pkey, Algorithm alg);
  ~PkeyOperations();

  PkeyOperations(const PkeyOperations&) = delete;
  PkeyOperations& operator=(const PkeyOperations&) = delete;

  Algorithm alg() const { return alg_; }
  // For reading key parameters only; never for mutation.
  const EVP_PKEY* pkey() const { return pkey_.get(); }

  // Signs `signing_input` and replaces `*signature` with the JWS signature
  // (RS256: PKCS#1 v1.5 block; ES256: 64-byte R||S; EdDSA: 64 bytes).
  // Requires a private key. Returns Internal on an OpenSSL failure.
  absl::Status Sign(absl::string_view signing_input, std::string* signature) const;

  // Returns true iff `signature` is a valid JWS signature of `signing_input`.
  bool Verify(absl::string_view signing_input, absl::string_view signature) const;

 private:
  // An operation context initialised for this key: an EVP_PKEY_CTX for the
  // prehashed RS256/ES256 operations, an EVP_MD_CTX for one-shot EdDSA.
  struct Context {
    PkeyCtxPtr pkey_ctx;
    MdCtxPtr md_ctx;
  };

  class ContextPool {
   public:
    // Returns an idle context or nullptr if none is available.
    std::unique_ptr<Context> Take();
    // Returns `context` to the pool (or frees it when the pool is full).
    void Give(std::unique_ptr<Context> context);

   private:
    absl::Mutex mu_;
    std::vector<std::unique_ptr<Context>> idle_ ABSL_GUARDED_BY(mu_);
  };

  absl::StatusOr<std::unique_ptr<Context>> NewSignContext() const;
  absl::StatusOr<std::unique_ptr<Context>> NewVerifyContext() const;

  const PkeyPtr pkey_;
  const Algorithm alg_;
  mutable ContextPool sign_pool_;
  mutable ContextPool verify_pool_;
};

}  // namespace oauthd::jose::internal

#endif  // OAUTHD_SERVER_JOSE_INTERNAL_PKEY_OPERATIONS_H_
