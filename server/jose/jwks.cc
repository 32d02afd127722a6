#include "server/jose/jwks.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "server/jose/json_reader.h"

namespace oauthd::jose {
namespace {

constexpr size_t kMaxJwksSize = 1 << 20;

}  // namespace

std::string RenderJwks(absl::Span<const Jwk> keys) {
  std::string out = "{\"keys\":[";
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.append(RenderJwk(keys[i]));
  }
  out.append("]}");
  return out;
}

absl::StatusOr<std::vector<Jwk>> ParseJwks(absl::string_view json) {
  if (json.size() > kMaxJwksSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("JWK Set document exceeds ", kMaxJwksSize, " bytes"));
  }
  absl::StatusOr<google::protobuf::Struct> document = ParseJsonObject(json);
  if (!document.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("JWK Set: ", document.status().message()));
  }
  const google::protobuf::Value* keys = FindMember(*document, "keys");
  if (keys == nullptr || keys->kind_case() != google::protobuf::Value::kListValue) {
    return absl::InvalidArgumentError("JWK Set: \"keys\" must be an array");
  }
  std::vector<Jwk> result;
  result.reserve(static_cast<size_t>(keys->list_value().values_size()));
  int index = 0;
  for (const google::protobuf::Value& entry : keys->list_value().values()) {
    if (entry.kind_case() != google::protobuf::Value::kStructValue) {
      return absl::InvalidArgumentError(
          absl::StrCat("JWK Set: keys[", index, "] is not an object"));
    }
    absl::StatusOr<Jwk> jwk = JwkFromJson(entry.struct_value());
    if (!jwk.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("JWK Set: keys[", index, "]: ", jwk.status().message()));
    }
    result.push_back(*std::move(jwk));
    ++index;
  }
  return result;
}

}  // namespace oauthd::jose
