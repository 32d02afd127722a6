#include "server/jose/internal/pkey_operations.h"

#include <array>
#include <cstdint>
#include <utility>

#include <openssl/err.h>
#include <openssl/rsa.h>

#include "absl/strings/str_cat.h"
#include "server/core/status_macros.h"
#include "server/jose/internal/ecdsa_signature.h"
#include "server/jose/sha256.h"

namespace oauthd::jose::internal {
namespace {

// Idle contexts kept per pool; more concurrent callers than this still work,
// their extra contexts are freed after use.
constexpr size_t kMaxIdleContexts = 64;

// Largest DER ECDSA-Sig-Value for P-256 is 72 bytes.
constexpr size_t kMaxEcdsaDerSize = 128;

const unsigned char* Bytes(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

absl::Status OpenSslFailure(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", ConsumeOpenSslError()));
}

// Sets the digest and padding used by a prehashed RS256/ES256 operation.
bool ConfigurePrehashed(EVP_PKEY_CTX* ctx, Algorithm alg) {
  if (EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) != 1) return false;
  if (alg == Algorithm::kRs256 &&
      EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1) {
    return false;
  }
  return true;
}

}  // namespace

PkeyOperations::PkeyOperations(PkeyPtr pkey, Algorithm alg)
    : pkey_(std::move(pkey)), alg_(alg) {}

PkeyOperations::~PkeyOperations() = default;

std::unique_ptr<PkeyOperations::Context> PkeyOperations::ContextPool::Take() {
  absl::MutexLock lock(&mu_);
  if (idle_.empty()) return nullptr;
  std::unique_ptr<Context> context = std::move(idle_.back());
  idle_.pop_back();
  return context;
}

void PkeyOperations::ContextPool::Give(std::unique_ptr<Context> context) {
  absl::MutexLock lock(&mu_);
  if (idle_.size() < kMaxIdleContexts) idle_.push_back(std::move(context));
}

absl::StatusOr<std::unique_ptr<PkeyOperations::Context>> PkeyOperations::NewSignContext()
    const {
  auto context = std::make_unique<Context>();
  if (alg_ == Algorithm::kEdDsa) {
    context->md_ctx.reset(EVP_MD_CTX_new());
    if (context->md_ctx == nullptr ||
        EVP_DigestSignInit(context->md_ctx.get(), nullptr, nullptr, nullptr, pkey_.get()) !=
            1) {
      return OpenSslFailure("EdDSA sign init");
    }
    return context;
  }
  context->pkey_ctx.reset(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey_.get(), nullptr));
  if (context->pkey_ctx == nullptr || EVP_PKEY_sign_init(context->pkey_ctx.get()) != 1 ||
      !ConfigurePrehashed(context->pkey_ctx.get(), alg_)) {
    return OpenSslFailure(absl::StrCat(AlgorithmName(alg_), " sign init"));
  }
  return context;
}

absl::StatusOr<std::unique_ptr<PkeyOperations::Context>> PkeyOperations::NewVerifyContext()
    const {
  auto context = std::make_unique<Context>();
  if (alg_ == Algorithm::kEdDsa) {
    // Initialised per call in Verify: one-shot EdDSA contexts are not reused.
    context->md_ctx.reset(EVP_MD_CTX_new());
    if (context->md_ctx == nullptr) return OpenSslFailure("EdDSA verify init");
    return context;
  }
  context->pkey_ctx.reset(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey_.get(), nullptr));
  if (context->pkey_ctx == nullptr || EVP_PKEY_verify_init(context->pkey_ctx.get()) != 1 ||
      !ConfigurePrehashed(context->pkey_ctx.get(), alg_)) {
    return OpenSslFailure(absl::StrCat(AlgorithmName(alg_), " verify init"));
  }
  return context;
}

absl::Status PkeyOperations::Sign(absl::string_view signing_input,
                                  std::string* signature) const {
  std::unique_ptr<Context> context = sign_pool_.Take();
  const bool reused = context != nullptr;
  if (!reused) {
    ASSIGN_OR_RETURN(context, NewSignContext());
  }

  switch (alg_) {
    case Algorithm::kEdDsa: {
      size_t len = 64;
      signature->resize(len);
      auto* out = reinterpret_cast<unsigned char*>(signature->data());
      EVP_MD_CTX* md_ctx = context->md_ctx.get();
      if (EVP_DigestSign(md_ctx, out, &len, Bytes(signing_input), signing_input.size()) != 1) {
        // OpenSSL 3.0 accepts repeated one-shot calls on one context; should
        // a later release refuse them, start over on the same context.
        if (!reused) return OpenSslFailure("EdDSA sign");
        ERR_clear_error();
        len = 64;
        if (EVP_DigestSignInit(md_ctx, nullptr, nullptr, nullptr, pkey_.get()) != 1 ||
            EVP_DigestSign(md_ctx, out, &len, Bytes(signing_input), signing_input.size()) !=
                1) {
          return OpenSslFailure("EdDSA sign");
        }
      }
      signature->resize(len);
      break;
    }
    case Algorithm::kEs256: {
      const std::array<uint8_t, 32> digest = Sha256Digest(signing_input);
      unsigned char der[kMaxEcdsaDerSize];
      size_t der_len = sizeof(der);
      if (EVP_PKEY_sign(context->pkey_ctx.get(), der, &der_len, digest.data(),
                        digest.size()) != 1) {
        return OpenSslFailure("ES256 sign");
      }
      if (!EcdsaDerToJose(absl::string_view(reinterpret_cast<const char*>(der), der_len),
                          kP256CoordinateSize, signature)) {
        return absl::InternalError("ES256 sign: OpenSSL returned a malformed signature");
      }
      NormalizeToLowSP256(signature);
      break;
    }
    case Algorithm::kRs256: {
      const std::array<uint8_t, 32> digest = Sha256Digest(signing_input);
      size_t len = static_cast<size_t>(EVP_PKEY_get_size(pkey_.get()));
      signature->resize(len);
      if (EVP_PKEY_sign(context->pkey_ctx.get(),
                        reinterpret_cast<unsigned char*>(signature->data()), &len, digest.data(),
                        digest.size()) != 1) {
        return OpenSslFailure("RS256 sign");
      }
      signature->resize(len);
      break;
    }
  }
  sign_pool_.Give(std::move(context));
  return absl::OkStatus();
}

bool PkeyOperations::Verify(absl::string_view signing_input,
                            absl::string_view signature) const {
  std::unique_ptr<Context> context = verify_pool_.Take();
  if (context == nullptr) {
    absl::StatusOr<std::unique_ptr<Context>> created = NewVerifyContext();
    if (!created.ok()) return false;
    context = *std::move(created);
  }

  bool valid = false;
  switch (alg_) {
    case Algorithm::kEdDsa: {
      EVP_MD_CTX* md_ctx = context->md_ctx.get();
      valid = signature.size() == 64 &&
              EVP_DigestVerifyInit(md_ctx, nullptr, nullptr, nullptr, pkey_.get()) == 1 &&
              EVP_DigestVerify(md_ctx, Bytes(signature), signature.size(),
                               Bytes(signing_input), signing_input.size()) == 1;
      break;
    }
    case Algorithm::kEs256: {
      // The high-S twin of a valid signature is valid to OpenSSL; refuse it.
      if (!IsLowSP256(signature)) break;
      std::string der;
      if (!EcdsaJoseToDer(signature, kP256CoordinateSize, &der)) break;
      const std::array<uint8_t, 32> digest = Sha256Digest(signing_input);
      valid = EVP_PKEY_verify(context->pkey_ctx.get(), Bytes(der), der.size(), digest.data(),
                              digest.size()) == 1;
      break;
    }
    case Algorithm::kRs256: {
      if (signature.size() != static_cast<size_t>(EVP_PKEY_get_size(pkey_.get()))) break;
      const std::array<uint8_t, 32> digest = Sha256Digest(signing_input);
      valid = EVP_PKEY_verify(context->pkey_ctx.get(), Bytes(signature), signature.size(),
                              digest.data(), digest.size()) == 1;
      break;
    }
  }
  // A failed verification leaves reasons on the error queue; they are
  // expected outcomes, not errors to report later.
  if (!valid) ERR_clear_error();
  verify_pool_.Give(std::move(context));
  return valid;
}

}  // namespace oauthd::jose::internal
