#include "client/lib/client_assertion.h"

#include <utility>

#include "absl/random/random.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "server/jose/algorithm.h"
#include "server/jose/base64url.h"
#include "server/jose/json_writer.h"
#include "server/jose/signing_key.h"

namespace oauthd::client {

struct ClientAssertionSigner::Key {
  jose::SigningKey signing_key;
};

ClientAssertionSigner::ClientAssertionSigner(std::unique_ptr<const Key> key,
                                             std::string client_id, std::string audience)
    : key_(std::move(key)), client_id_(std::move(client_id)), audience_(std::move(audience)) {}

ClientAssertionSigner::~ClientAssertionSigner() = default;

absl::StatusOr<std::shared_ptr<const ClientAssertionSigner>> ClientAssertionSigner::FromPemFile(
    absl::string_view key_file, std::string client_id, std::string audience) {
  if (client_id.empty()) return absl::InvalidArgumentError("client assertion needs a client_id");
  if (audience.empty()) {
    return absl::InvalidArgumentError("client assertion needs the issuer as its audience");
  }
  absl::StatusOr<jose::SigningKey> key = jose::SigningKey::FromPemFile(key_file);
  if (!key.ok()) return absl::InvalidArgumentError(key.status().message());
  auto owned = std::make_unique<const Key>(Key{*std::move(key)});
  return std::shared_ptr<const ClientAssertionSigner>(
      new ClientAssertionSigner(std::move(owned), std::move(client_id), std::move(audience)));
}

absl::StatusOr<std::string> ClientAssertionSigner::Make(absl::Time now,
                                                        absl::Duration lifetime) const {
  const jose::SigningKey& key = key_->signing_key;
  std::string header = "{\"alg\":";
  jose::AppendJsonString(jose::AlgorithmName(key.alg()), &header);
  header += ",\"typ\":\"JWT\",\"kid\":";
  jose::AppendJsonString(key.kid(), &header);
  header += "}";

  thread_local absl::BitGen bitgen;
  const uint64_t random[2] = {absl::Uniform<uint64_t>(bitgen), absl::Uniform<uint64_t>(bitgen)};
  const std::string jti = jose::Base64UrlEncode(
      absl::string_view(reinterpret_cast<const char*>(random), sizeof(random)));
  const int64_t iat = absl::ToUnixSeconds(now);
  const int64_t exp = iat + absl::ToInt64Seconds(lifetime);

  std::string claims = "{\"iss\":";
  jose::AppendJsonString(client_id_, &claims);
  claims += ",\"sub\":";
  jose::AppendJsonString(client_id_, &claims);
  claims += ",\"aud\":";
  jose::AppendJsonString(audience_, &claims);
  absl::StrAppend(&claims, ",\"iat\":", iat, ",\"exp\":", exp, ",\"jti\":");
  jose::AppendJsonString(jti, &claims);
  claims += "}";

  std::string signing_input =
      absl::StrCat(jose::Base64UrlEncode(header), ".", jose::Base64UrlEncode(claims));
  absl::StatusOr<std::string> signature = key.Sign(signing_input);
  if (!signature.ok()) return absl::InternalError(signature.status().message());
  return absl::StrCat(signing_input, ".", jose::Base64UrlEncode(*signature));
}

}  // namespace oauthd::client
