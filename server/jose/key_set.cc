#include "server/jose/key_set.h"

#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "server/core/status_macros.h"
#include "server/jose/base64url.h"
#include "server/jose/internal/ecdsa_signature.h"
#include "server/jose/internal/printable.h"
#include "server/jose/json_reader.h"
#include "server/jose/jwks.h"

namespace oauthd::jose {
namespace {

absl::Status Malformed(absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat("malformed JWT: ", reason));
}

absl::Status Rejected(absl::string_view reason) {
  return absl::UnauthenticatedError(absl::StrCat("JWT rejected: ", reason));
}

// Reads alg, kid and typ from a parsed JOSE header.
absl::StatusOr<JwtHeader> ReadHeader(const google::protobuf::Struct& object) {
  JwtHeader header;
  absl::StatusOr<std::optional<std::string>> alg = GetOptionalString(object, "alg");
  absl::StatusOr<std::optional<std::string>> kid = GetOptionalString(object, "kid");
  absl::StatusOr<std::optional<std::string>> typ = GetOptionalString(object, "typ");
  for (const auto* member : {&alg, &kid, &typ}) {
    if (!member->ok()) return Malformed(absl::StrCat("header ", member->status().message()));
  }
  if (!alg->has_value()) return Rejected("header has no \"alg\"");
  header.alg = **std::move(alg);
  if (kid->has_value()) header.kid = **std::move(kid);
  header.typ = *std::move(typ);
  return header;
}

}  // namespace

absl::StatusOr<KeySet> KeySet::Create(std::vector<VerificationKey> keys) {
  KeySet set;
  set.keys_ = std::move(keys);
  for (size_t i = 0; i < set.keys_.size(); ++i) {
    const VerificationKey& key = set.keys_[i];
    if (!set.index_by_kid_.emplace(key.kid(), i).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "key set has two keys with kid \"", internal::Printable(key.kid()), "\""));
    }
    OwnHeader own{i, JwtHeader{std::string(AlgorithmName(key.alg())), key.kid(),
                               std::string(kAccessTokenType)}};
    set.own_headers_.emplace(Base64UrlEncode(AccessTokenHeaderJson(key.alg(), key.kid())),
                             std::move(own));
  }
  return set;
}

absl::StatusOr<KeySet> KeySet::FromJwks(absl::Span<const Jwk> jwks) {
  std::vector<VerificationKey> keys;
  std::string first_problem;
  for (size_t i = 0; i < jwks.size(); ++i) {
    absl::StatusOr<VerificationKey> key = VerificationKey::FromJwk(jwks[i]);
    if (key.ok()) {
      keys.push_back(*std::move(key));
    } else if (first_problem.empty()) {
      first_problem = absl::StrCat("keys[", i, "]: ", key.status().message());
    }
  }
  if (keys.empty()) {
    return absl::InvalidArgumentError(
        jwks.empty() ? std::string("JWK Set has no keys")
                     : absl::StrCat("JWK Set has no usable key (", first_problem, ")"));
  }
  return Create(std::move(keys));
}

absl::StatusOr<KeySet> KeySet::FromJwksJson(absl::string_view json) {
  ASSIGN_OR_RETURN(std::vector<Jwk> jwks, ParseJwks(json));
  return FromJwks(jwks);
}

const VerificationKey* KeySet::Find(absl::string_view kid) const {
  const auto it = index_by_kid_.find(kid);
  return it == index_by_kid_.end() ? nullptr : &keys_[it->second];
}

std::vector<Jwk> KeySet::Jwks() const {
  std::vector<Jwk> jwks;
  jwks.reserve(keys_.size());
  for (const VerificationKey& key : keys_) jwks.push_back(key.jwk());
  return jwks;
}

absl::StatusOr<VerifiedJwt> KeySet::VerifyJwt(absl::string_view compact) const {
  return VerifyJwt(compact, VerifyJwtOptions());
}

absl::StatusOr<VerifiedJwt> KeySet::VerifyJwt(absl::string_view compact,
                                              const VerifyJwtOptions& options) const {
  if (compact.size() > kMaxJwtSize) {
    return Malformed(absl::StrCat("longer than ", kMaxJwtSize, " bytes"));
  }
  const size_t first_dot = compact.find('.');
  const size_t second_dot =
      first_dot == absl::string_view::npos ? first_dot : compact.find('.', first_dot + 1);
  if (second_dot == absl::string_view::npos ||
      compact.find('.', second_dot + 1) != absl::string_view::npos) {
    return Malformed("expected three base64url parts separated by '.' (JWS compact form)");
  }
  const absl::string_view header_part = compact.substr(0, first_dot);
  const absl::string_view payload_part =
      compact.substr(first_dot + 1, second_dot - first_dot - 1);
  const absl::string_view signature_part = compact.substr(second_dot + 1);
  const absl::string_view signing_input = compact.substr(0, second_dot);

  VerifiedJwt jwt;
  const VerificationKey* key = nullptr;
  if (const auto own = own_headers_.find(header_part); own != own_headers_.end()) {
    // Byte-identical to a header EncodeJwt writes for one of our keys.
    key = &keys_[own->second.key_index];
    jwt.header = own->second.header;
  } else {
    if (header_part.size() > kMaxJwtHeaderSize) {
      return Malformed(absl::StrCat("header longer than ", kMaxJwtHeaderSize, " bytes"));
    }
    std::string header_json;
    if (!Base64UrlDecodeTo(header_part, &header_json)) {
      return Malformed("header is not unpadded base64url");
    }
    absl::StatusOr<google::protobuf::Struct> header_object = ParseJsonObject(header_json);
    if (!header_object.ok()) {
      return Malformed(absl::StrCat("header: ", header_object.status().message()));
    }
    ASSIGN_OR_RETURN(jwt.header, ReadHeader(*header_object));
    if (jwt.header.alg == "none") {
      return Rejected("\"alg\":\"none\" (unsecured JWS) is not accepted");
    }
    if (FindMember(*header_object, "crit") != nullptr) {
      return Rejected("header has \"crit\" extensions, none of which are supported");
    }
    if (jwt.header.kid.empty()) {
      if (!options.allow_missing_kid_with_one_key || keys_.size() != 1) {
        return Rejected("header has no \"kid\"");
      }
      key = &keys_[0];
    } else {
      key = Find(jwt.header.kid);
    }
    if (key == nullptr) {
      return Rejected(absl::StrCat("unknown kid \"", internal::Printable(jwt.header.kid), "\""));
    }
    // RFC 9864 §2.2: "Ed25519" is the fully-specified name of EdDSA over
    // Ed25519 (oauth4webapi and jose send it); only the key's type decides.
    const bool fully_specified_eddsa =
        key->alg() == Algorithm::kEdDsa && jwt.header.alg == "Ed25519";
    if (jwt.header.alg != AlgorithmName(key->alg()) && !fully_specified_eddsa) {
      return Rejected(absl::StrCat("\"alg\":\"", internal::Printable(jwt.header.alg),
                                   "\" does not match key \"", key->kid(), "\" (",
                                   AlgorithmName(key->alg()), ")"));
    }
  }

  std::string signature;
  if (signature_part.empty()) return Rejected("empty signature");
  if (!Base64UrlDecodeTo(signature_part, &signature)) {
    return Malformed("signature is not unpadded base64url");
  }
  if (options.accept_high_s && key->alg() == Algorithm::kEs256 &&
      signature.size() == 2 * internal::kP256CoordinateSize &&
      !internal::IsLowSP256(signature)) {
    internal::NormalizeToLowSP256(&signature);
  }
  if (!key->Verify(signing_input, signature).ok()) {
    return Rejected(absl::StrCat("bad ", AlgorithmName(key->alg()), " signature for kid \"",
                                 key->kid(), "\""));
  }

  std::string payload_json;
  if (!Base64UrlDecodeTo(payload_part, &payload_json)) {
    return Malformed("payload is not unpadded base64url");
  }
  if (!options.keep_payload) {
    if (std::optional<JwtClaims> claims = ParseSimpleJwtClaims(payload_json)) {
      jwt.claims = *std::move(claims);
      return jwt;
    }
  }
  absl::StatusOr<google::protobuf::Struct> payload = ParseJsonObject(payload_json);
  if (!payload.ok()) return Malformed(absl::StrCat("payload: ", payload.status().message()));
  absl::StatusOr<JwtClaims> claims = ParseJwtClaims(*payload);
  if (!claims.ok()) return Malformed(absl::StrCat("claim ", claims.status().message()));
  jwt.claims = *std::move(claims);
  if (options.keep_payload) jwt.payload = *std::move(payload);
  return jwt;
}

}  // namespace oauthd::jose
