#include "server/jose/algorithm.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "server/jose/internal/printable.h"

namespace oauthd::jose {

absl::string_view AlgorithmName(Algorithm alg) {
  switch (alg) {
    case Algorithm::kRs256:
      return "RS256";
    case Algorithm::kEs256:
      return "ES256";
    case Algorithm::kEdDsa:
      return "EdDSA";
  }
  return "unknown";
}

absl::StatusOr<Algorithm> ParseAlgorithm(absl::string_view name) {
  if (name == "RS256") return Algorithm::kRs256;
  if (name == "ES256") return Algorithm::kEs256;
  if (name == "EdDSA") return Algorithm::kEdDsa;
  return absl::InvalidArgumentError(absl::StrCat(
      "unsupported JWS algorithm '", internal::Printable(name), "' (supported: RS256, ES256, EdDSA)"));
}

}  // namespace oauthd::jose
