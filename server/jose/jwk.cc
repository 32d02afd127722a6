#include "server/jose/jwk.h"

#include <openssl/sha.h>

#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "server/core/status_macros.h"
#include "server/jose/base64url.h"
#include "server/jose/internal/printable.h"
#include "server/jose/json_reader.h"
#include "server/jose/json_writer.h"

namespace oauthd::jose {
namespace {

absl::Status RequireMember(const Jwk& jwk, absl::string_view name, const std::string& value) {
  if (value.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("JWK of kty \"", jwk.kty, "\" lacks required member \"", name, "\""));
  }
  return absl::OkStatus();
}

// Appends `"name":"value"` (with a leading comma unless `*first`).
void AppendMember(absl::string_view name, const std::string& value, bool* first,
                  std::string* out) {
  if (!*first) out->push_back(',');
  *first = false;
  AppendJsonString(name, out);
  out->push_back(':');
  AppendJsonString(value, out);
}

}  // namespace

absl::StatusOr<std::string> JwkThumbprint(const Jwk& jwk) {
  std::string canonical;
  bool first = true;
  canonical.push_back('{');
  if (jwk.kty == "RSA") {
    RETURN_IF_ERROR(RequireMember(jwk, "e", jwk.e));
    RETURN_IF_ERROR(RequireMember(jwk, "n", jwk.n));
    AppendMember("e", jwk.e, &first, &canonical);
    AppendMember("kty", jwk.kty, &first, &canonical);
    AppendMember("n", jwk.n, &first, &canonical);
  } else if (jwk.kty == "EC") {
    RETURN_IF_ERROR(RequireMember(jwk, "crv", jwk.crv));
    RETURN_IF_ERROR(RequireMember(jwk, "x", jwk.x));
    RETURN_IF_ERROR(RequireMember(jwk, "y", jwk.y));
    AppendMember("crv", jwk.crv, &first, &canonical);
    AppendMember("kty", jwk.kty, &first, &canonical);
    AppendMember("x", jwk.x, &first, &canonical);
    AppendMember("y", jwk.y, &first, &canonical);
  } else if (jwk.kty == "OKP") {
    RETURN_IF_ERROR(RequireMember(jwk, "crv", jwk.crv));
    RETURN_IF_ERROR(RequireMember(jwk, "x", jwk.x));
    AppendMember("crv", jwk.crv, &first, &canonical);
    AppendMember("kty", jwk.kty, &first, &canonical);
    AppendMember("x", jwk.x, &first, &canonical);
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot compute a thumbprint for JWK kty \"", internal::Printable(jwk.kty), "\""));
  }
  canonical.push_back('}');
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size(), digest);
  return Base64UrlEncode(absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

std::string RenderJwk(const Jwk& jwk) {
  std::string out;
  out.reserve(96 + jwk.n.size() + jwk.x.size() + jwk.y.size() + jwk.kid.size());
  out.push_back('{');
  bool first = true;
  const std::pair<absl::string_view, const std::string*> members[] = {
      {"kty", &jwk.kty}, {"use", &jwk.use}, {"alg", &jwk.alg}, {"kid", &jwk.kid},
      {"crv", &jwk.crv}, {"x", &jwk.x},     {"y", &jwk.y},     {"n", &jwk.n},
      {"e", &jwk.e}};
  for (const auto& [name, value] : members) {
    if (!value->empty()) AppendMember(name, *value, &first, &out);
  }
  out.push_back('}');
  return out;
}

absl::StatusOr<Jwk> JwkFromJson(const google::protobuf::Struct& object) {
  if (FindMember(object, "d") != nullptr) {
    return absl::InvalidArgumentError("JWK contains private key material (\"d\")");
  }
  Jwk jwk;
  const std::pair<absl::string_view, std::string*> members[] = {
      {"kty", &jwk.kty}, {"kid", &jwk.kid}, {"use", &jwk.use}, {"alg", &jwk.alg},
      {"crv", &jwk.crv}, {"x", &jwk.x},     {"y", &jwk.y},     {"n", &jwk.n},
      {"e", &jwk.e}};
  for (const auto& [name, value] : members) {
    absl::StatusOr<std::optional<std::string>> member = GetOptionalString(object, name);
    if (!member.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("JWK: ", member.status().message()));
    }
    if (member->has_value()) *value = **std::move(member);
  }
  if (jwk.kty.empty()) return absl::InvalidArgumentError("JWK lacks \"kty\"");
  return jwk;
}

}  // namespace oauthd::jose
