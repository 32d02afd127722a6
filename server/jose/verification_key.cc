#include "server/jose/verification_key.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/core/status_macros.h"
#include "server/jose/internal/jwk_conversion.h"
#include "server/jose/internal/pkey_operations.h"

namespace oauthd::jose {

VerificationKey::VerificationKey(std::shared_ptr<const internal::PkeyOperations> operations,
                                 Algorithm alg, Jwk jwk)
    : operations_(std::move(operations)), alg_(alg), jwk_(std::move(jwk)) {}

absl::StatusOr<VerificationKey> VerificationKey::FromJwk(const Jwk& jwk) {
  ASSIGN_OR_RETURN(internal::ImportedKey imported, internal::ImportPublicJwk(jwk));
  Jwk normalized = jwk;
  normalized.alg = std::string(AlgorithmName(imported.alg));
  if (normalized.kid.empty()) {
    ASSIGN_OR_RETURN(normalized.kid, JwkThumbprint(normalized));
  }
  auto operations =
      std::make_shared<const internal::PkeyOperations>(std::move(imported.pkey), imported.alg);
  return VerificationKey(std::move(operations), imported.alg, std::move(normalized));
}

VerificationKey VerificationKey::FromSigningKey(const SigningKey& key) {
  return VerificationKey(key.operations_, key.alg_, key.public_jwk_);
}

absl::Status VerificationKey::Verify(absl::string_view signing_input,
                                     absl::string_view signature) const {
  if (operations_->Verify(signing_input, signature)) return absl::OkStatus();
  return absl::UnauthenticatedError(
      absl::StrCat(AlgorithmName(alg_), " signature verification failed"));
}

}  // namespace oauthd::jose
