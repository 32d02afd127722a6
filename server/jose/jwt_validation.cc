#include "server/jose/jwt_validation.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/jose/internal/printable.h"

namespace oauthd::jose {
namespace {

std::string FormatTime(int64_t unix_seconds) {
  return absl::FormatTime(absl::RFC3339_sec, absl::FromUnixSeconds(unix_seconds),
                          absl::UTCTimeZone());
}

absl::Status Rejected(absl::string_view reason) {
  return absl::UnauthenticatedError(absl::StrCat("access token rejected: ", reason));
}

}  // namespace

absl::Status ValidateAccessTokenClaims(const VerifiedJwt& jwt, absl::string_view expected_issuer,
                                       absl::Time now, absl::Duration leeway) {
  return ValidateAccessTokenClaims(jwt, expected_issuer, now, leeway, nullptr);
}

absl::Status ValidateAccessTokenClaims(const VerifiedJwt& jwt, absl::string_view expected_issuer,
                                       absl::Time now, absl::Duration leeway,
                                       ClaimsProblem* problem) {
  ClaimsProblem ignored;
  if (problem == nullptr) problem = &ignored;
  *problem = ClaimsProblem::kNone;
  leeway = std::max(leeway, absl::ZeroDuration());
  const JwtHeader& header = jwt.header;
  const JwtClaims& claims = jwt.claims;

  *problem = ClaimsProblem::kWrongType;
  if (!header.typ.has_value()) return Rejected("header has no \"typ\" (expected \"at+jwt\")");
  if (!absl::EqualsIgnoreCase(*header.typ, kAccessTokenType) &&
      !absl::EqualsIgnoreCase(*header.typ, "application/at+jwt")) {
    return Rejected(absl::StrCat("header \"typ\" is \"", internal::Printable(*header.typ),
                                 "\", expected \"at+jwt\""));
  }

  *problem = ClaimsProblem::kWrongIssuer;
  if (!claims.iss.has_value()) return Rejected("no \"iss\" claim");
  if (*claims.iss != expected_issuer) {
    return Rejected(absl::StrCat("issuer \"", internal::Printable(*claims.iss),
                                 "\" is not the expected \"", expected_issuer, "\""));
  }

  *problem = ClaimsProblem::kExpired;
  if (!claims.exp.has_value()) return Rejected("no \"exp\" claim");
  if (now >= absl::FromUnixSeconds(*claims.exp) + leeway) {
    return Rejected(absl::StrCat("expired at ", FormatTime(*claims.exp)));
  }
  *problem = ClaimsProblem::kNotYetValid;
  if (claims.nbf.has_value() && absl::FromUnixSeconds(*claims.nbf) > now + leeway) {
    return Rejected(absl::StrCat("not valid before ", FormatTime(*claims.nbf)));
  }
  *problem = ClaimsProblem::kIssuedInFuture;
  if (!claims.iat.has_value()) return Rejected("no \"iat\" claim");
  if (absl::FromUnixSeconds(*claims.iat) > now + leeway) {
    return Rejected(absl::StrCat("issued in the future (", FormatTime(*claims.iat), ")"));
  }

  *problem = ClaimsProblem::kMissingClaim;
  if (!claims.sub.has_value()) return Rejected("no \"sub\" claim");
  if (!claims.client_id.has_value()) return Rejected("no \"client_id\" claim");
  if (!claims.jti.has_value()) return Rejected("no \"jti\" claim");
  if (claims.aud.empty()) return Rejected("no \"aud\" claim");
  *problem = ClaimsProblem::kNone;
  return absl::OkStatus();
}

absl::Status ValidateAudience(const VerifiedJwt& jwt, absl::string_view audience) {
  const std::vector<std::string>& aud = jwt.claims.aud;
  if (std::find(aud.begin(), aud.end(), audience) != aud.end()) return absl::OkStatus();
  return Rejected(absl::StrCat("audience \"", audience, "\" is not in \"aud\""));
}

}  // namespace oauthd::jose
