#include "server/core/client_assertion.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/core/oauth_error.h"
#include "server/jose/base64url.h"
#include "server/jose/json_reader.h"
#include "server/jose/key_set.h"

namespace oauthd {
namespace {

absl::Status Refused(absl::string_view why) {
  return InvalidClient(absl::StrCat("client assertion rejected: ", why));
}

}  // namespace

ClientAssertionVerifier::ClientAssertionVerifier(std::string issuer,
                                                 storage::ReplayStore& replays, Clock clock)
    : issuer_(std::move(issuer)), replays_(replays), clock_(std::move(clock)) {}

absl::StatusOr<std::string> ClientAssertionVerifier::UnverifiedSubject(
    absl::string_view assertion) {
  if (assertion.size() > jose::kMaxJwtSize) return Refused("longer than 8192 bytes");
  const size_t first = assertion.find('.');
  const size_t second = first == absl::string_view::npos ? first : assertion.find('.', first + 1);
  if (second == absl::string_view::npos) return Refused("not a JWS in compact form");
  std::string payload;
  if (!jose::Base64UrlDecodeTo(assertion.substr(first + 1, second - first - 1), &payload)) {
    return Refused("payload is not unpadded base64url");
  }
  absl::StatusOr<google::protobuf::Struct> claims = jose::ParseJsonObject(payload);
  if (!claims.ok()) return Refused("payload is not a JSON object");
  absl::StatusOr<std::optional<std::string>> sub = jose::GetOptionalString(*claims, "sub");
  if (!sub.ok() || !sub->has_value() || (*sub)->empty()) return Refused("no \"sub\"");
  return **std::move(sub);
}

absl::Status ClientAssertionVerifier::Verify(const storage::ClientRecord& record,
                                             absl::string_view assertion,
                                             absl::string_view endpoint_path) const {
  const oauth::admin::v1::Client& client = record.client();
  // Parsed per request: a record is cached by ClientRegistry, and importing
  // a public key costs microseconds against the signature check itself.
  absl::StatusOr<jose::KeySet> keys = jose::KeySet::FromJwksJson(client.jwks());
  if (!keys.ok()) return Refused("the client has no usable registered key");
  jose::VerifyJwtOptions options;
  options.keep_payload = false;
  options.allow_missing_kid_with_one_key = true;
  // WebCrypto signs ES256 with a high S half the time; the twin of a used
  // assertion carries the same jti, so accepting it opens no replay.
  options.accept_high_s = true;
  absl::StatusOr<jose::VerifiedJwt> jwt = keys->VerifyJwt(assertion, options);
  if (!jwt.ok()) return Refused(jwt.status().message());
  const jose::JwtClaims& claims = jwt->claims;

  if (claims.iss.value_or("") != client.client_id()) return Refused("\"iss\" is not the client id");
  if (claims.sub.value_or("") != client.client_id()) return Refused("\"sub\" is not the client id");
  const std::string accepted[] = {issuer_, absl::StrCat(issuer_, "/token"),
                                  absl::StrCat(issuer_, endpoint_path)};
  const bool aud_ok = std::any_of(claims.aud.begin(), claims.aud.end(), [&](const std::string& a) {
    return std::find(std::begin(accepted), std::end(accepted), a) != std::end(accepted);
  });
  if (!aud_ok) {
    return Refused(absl::StrCat("\"aud\" must contain the issuer ", issuer_,
                                " or the endpoint URL ", accepted[2]));
  }

  const absl::Time now = clock_();
  if (!claims.exp) return Refused("no \"exp\"");
  const absl::Time exp = absl::FromUnixSeconds(*claims.exp);
  if (exp + kClientAssertionLeeway <= now) return Refused("expired");
  if (exp > now + kMaxClientAssertionLifetime + kClientAssertionLeeway) {
    return Refused(absl::StrCat("\"exp\" is more than ",
                                absl::ToInt64Seconds(kMaxClientAssertionLifetime),
                                " seconds ahead"));
  }
  if (claims.nbf && absl::FromUnixSeconds(*claims.nbf) > now + kClientAssertionLeeway) {
    return Refused("not valid yet (\"nbf\")");
  }
  if (claims.iat && absl::FromUnixSeconds(*claims.iat) > now + kClientAssertionLeeway) {
    return Refused("issued in the future (\"iat\")");
  }
  if (!claims.jti || claims.jti->empty()) return Refused("no \"jti\"");
  if (claims.jti->size() > kMaxClientAssertionJtiLength) return Refused("\"jti\" is too long");

  // Last, so that an assertion failing any other check does not use it up.
  // Remembered while the assertion could still be accepted.
  const absl::Duration ttl = std::max(exp + kClientAssertionLeeway - now, absl::Seconds(1));
  absl::StatusOr<bool> first_use =
      replays_.MarkUsed(absl::StrCat("jti:", client.client_id(), ":", *claims.jti), ttl);
  if (!first_use.ok()) return first_use.status();
  if (!*first_use) return Refused("\"jti\" was already used (replay)");
  return absl::OkStatus();
}

}  // namespace oauthd
