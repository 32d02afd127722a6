// The JSON readers: jose::ParseJsonObject (JOSE headers, JWT claims, JWKs
// and JWK Sets, also used by the client library) and the fast claims reader
// ParseSimpleJwtClaims, which must agree with it. Input: a JSON document.

#include <cstddef>
#include <cstdint>
#include <string>

#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "server/jose/json_reader.h"
#include "server/jose/jwks.h"
#include "server/jose/jwt.h"
#include "server/jose/key_set.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_input.h"

namespace oauthd::fuzz {
namespace {

bool SameClaims(const jose::JwtClaims& a, const jose::JwtClaims& b) {
  return a.iss == b.iss && a.sub == b.sub && a.aud == b.aud && a.exp == b.exp &&
         a.nbf == b.nbf && a.iat == b.iat && a.jti == b.jti && a.client_id == b.client_id &&
         a.scope == b.scope && a.username == b.username && a.grant_id == b.grant_id;
}

// Every document the strict reader accepts, printed again as JSON (by
// protobuf, an independent writer), reads back to the same value.
void CheckReprints(const google::protobuf::Struct& parsed) {
  std::string printed;
  FUZZ_CHECK(google::protobuf::util::MessageToJsonString(parsed, &printed).ok());
  absl::StatusOr<google::protobuf::Struct> again = jose::ParseJsonObject(printed);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(google::protobuf::util::MessageDifferencer::Equals(parsed, *again));
}

}  // namespace
}  // namespace oauthd::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace oauthd;
  using namespace oauthd::fuzz;
  const absl::string_view json = AsView(data, size);

  absl::StatusOr<google::protobuf::Struct> parsed = jose::ParseJsonObject(json);
  if (parsed.ok()) {
    CheckReprints(*parsed);
  } else {
    FUZZ_CHECK(absl::IsInvalidArgument(parsed.status()));
    FUZZ_CHECK(parsed.status().message().find('\n') == absl::string_view::npos);
  }

  // The fast path accepts a subset, and then says exactly what the full path
  // says.
  std::optional<jose::JwtClaims> simple = jose::ParseSimpleJwtClaims(json);
  if (simple.has_value()) {
    FUZZ_CHECK(parsed.ok());
    absl::StatusOr<jose::JwtClaims> full = jose::ParseJwtClaims(*parsed);
    FUZZ_CHECK(full.ok());
    FUZZ_CHECK(SameClaims(*simple, *full));
  }

  // JWK Sets from a JWKS endpoint: parse, import, render, parse again.
  absl::StatusOr<std::vector<jose::Jwk>> jwks = jose::ParseJwks(json);
  if (jwks.ok()) {
    absl::StatusOr<std::vector<jose::Jwk>> again = jose::ParseJwks(jose::RenderJwks(*jwks));
    FUZZ_CHECK(again.ok() && *again == *jwks);
    (void)jose::KeySet::FromJwks(*jwks);
  }
  return 0;
}
