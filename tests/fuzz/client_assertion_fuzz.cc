// private_key_jwt client assertions (RFC 7523 §2.2, §3): ClientRegistry::
// Authenticate with a client_assertion, which reads the unverified "sub"
// (ClientAssertionVerifier::UnverifiedSubject), loads the client and runs
// ClientAssertionVerifier::Verify against the client's inline JWKS and the
// memory store's jti replay store. Clients (registered once per input, on a
// fresh store, so inputs do not depend on each other):
//   "multi"   -- the three fuzz keys, kids "rs", "es", "ed" (kid required);
//   "solo-es" -- only the ES256 key (kid may be left out);
//   "solo-ed" -- only the EdDSA key.
// Input: a mode byte, a selector byte, then '\n'-separated fields.
//   's' -- sign: fields client_id, header JSON, claims JSON. The target signs
//          base64url(header).base64url(claims) with the selected key, so the
//          claim checks behind the signature are reached;
//   else -- raw: fields client_id, then the assertion as sent (no input can
//          hold a valid signature: the keys are made at start-up).
// Selector bits 0-1: key (rs, es, ed, es); bits 2-3: client (multi, solo-es,
// solo-ed, multi); bits 4-5: endpoint (/token, /introspect, /revoke, /token).
// In every field "$ID" becomes the selected client id, "$NOW" the fixed
// clock's Unix time and "$EXP" 60 s later, so seeds stay readable.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "server/core/client_assertion.h"
#include "server/core/client_registry.h"
#include "server/core/oauth_error.h"
#include "server/jose/base64url.h"
#include "server/jose/json_reader.h"
#include "server/jose/jwks.h"
#include "server/jose/key_set.h"
#include "storage/memory/memory_store.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/fuzz_keys.h"

namespace oauthd::fuzz {
namespace {

constexpr absl::string_view kIssuer = "https://as.example";
constexpr int64_t kNowSeconds = 1700000000;
const absl::Time kNow = absl::FromUnixSeconds(kNowSeconds);

struct ClientSpec {
  const char* id;
  std::vector<size_t> keys;  // indexes into FuzzSigningKeys()
};

const std::vector<ClientSpec>& Clients() {
  static const auto* clients = new std::vector<ClientSpec>{
      {"multi", {0, 1, 2}}, {"solo-es", {1}}, {"solo-ed", {2}}};
  return *clients;
}

std::string JwksOf(const ClientSpec& spec) {
  std::vector<jose::Jwk> jwks;
  for (size_t i : spec.keys) {
    jose::Jwk jwk = FuzzSigningKeys()[i]->public_jwk();
    jwk.kid = FuzzKids()[i];
    jwks.push_back(std::move(jwk));
  }
  return jose::RenderJwks(jwks);
}

// Client records are built once; the store holding them is fresh per input.
const std::vector<storage::ClientRecord>& Records() {
  static const auto* records = [] {
    auto* out = new std::vector<storage::ClientRecord>();
    for (const ClientSpec& spec : Clients()) {
      storage::ClientRecord r;
      r.mutable_client()->set_client_id(spec.id);
      r.mutable_client()->set_token_endpoint_auth_method(std::string(kPrivateKeyJwt));
      r.mutable_client()->set_token_endpoint_auth_method_enforced(true);
      r.mutable_client()->set_jwks(JwksOf(spec));
      r.mutable_client()->add_grant_types("client_credentials");
      out->push_back(std::move(r));
    }
    // A secret client: an assertion naming it never authenticates.
    storage::ClientRecord secret;
    secret.mutable_client()->set_client_id("secret");
    secret.mutable_client()->set_token_endpoint_auth_method("client_secret_basic");
    secret.mutable_client()->add_grant_types("client_credentials");
    secret.set_secret_salt("salt");
    secret.set_secret_hash("hash");
    out->push_back(std::move(secret));
    return out;
  }();
  return *records;
}

// Error descriptions end up in JSON bodies and logs: one printable line.
void CheckMessage(absl::string_view message) {
  for (char c : message) FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
}

std::optional<google::protobuf::Struct> StrictSegment(absl::string_view assertion, int index) {
  std::vector<absl::string_view> parts = absl::StrSplit(assertion, '.');
  if (parts.size() != 3) return std::nullopt;
  std::string json;
  if (!jose::Base64UrlDecodeTo(parts[index], &json)) return std::nullopt;
  absl::StatusOr<google::protobuf::Struct> parsed = jose::ParseJsonObject(json);
  if (!parsed.ok()) return std::nullopt;
  return *std::move(parsed);
}

std::optional<std::string> StringMember(const google::protobuf::Struct& object,
                                        absl::string_view name) {
  const google::protobuf::Value* v = jose::FindMember(object, name);
  if (v == nullptr || !v->has_string_value()) return std::nullopt;
  return v->string_value();
}

std::optional<double> NumberMember(const google::protobuf::Struct& object,
                                   absl::string_view name) {
  const google::protobuf::Value* v = jose::FindMember(object, name);
  if (v == nullptr || !v->has_number_value()) return std::nullopt;
  return v->number_value();
}

// An accepted assertion, read again with the strict JSON reader (Verify uses
// the fast claims reader): RFC 7523 §3 holds for what it says.
void CheckAccepted(absl::string_view assertion, const ClientSpec& client,
                   absl::string_view sent_client_id, absl::string_view endpoint) {
  std::optional<google::protobuf::Struct> header = StrictSegment(assertion, 0);
  std::optional<google::protobuf::Struct> claims = StrictSegment(assertion, 1);
  FUZZ_CHECK(header.has_value() && claims.has_value());
  // iss == sub == the client id, and a client_id sent names the same client.
  FUZZ_CHECK(StringMember(*claims, "iss") == std::string(client.id));
  FUZZ_CHECK(StringMember(*claims, "sub") == std::string(client.id));
  FUZZ_CHECK(sent_client_id.empty() || sent_client_id == client.id);
  // aud: a string or an array holding the issuer or an endpoint URL.
  const std::string accepted[] = {std::string(kIssuer), absl::StrCat(kIssuer, "/token"),
                                  absl::StrCat(kIssuer, endpoint)};
  auto good_aud = [&](const google::protobuf::Value& v) {
    return v.has_string_value() && std::find(std::begin(accepted), std::end(accepted),
                                             v.string_value()) != std::end(accepted);
  };
  const google::protobuf::Value* aud = jose::FindMember(*claims, "aud");
  FUZZ_CHECK(aud != nullptr);
  bool aud_ok = good_aud(*aud);
  if (aud->has_list_value()) {
    for (const google::protobuf::Value& a : aud->list_value().values()) aud_ok |= good_aud(a);
  }
  FUZZ_CHECK(aud_ok);
  // exp within (now - leeway, now + 5 min + leeway]; a second of slack for
  // fractional seconds.
  const std::optional<double> exp = NumberMember(*claims, "exp");
  FUZZ_CHECK(exp.has_value());
  FUZZ_CHECK(*exp + 30 > kNowSeconds - 1 && *exp <= kNowSeconds + 330 + 1);
  for (const char* name : {"nbf", "iat"}) {
    if (jose::FindMember(*claims, name) == nullptr) continue;
    const std::optional<double> t = NumberMember(*claims, name);
    FUZZ_CHECK(t.has_value() && *t <= kNowSeconds + 30 + 1);
  }
  const std::optional<std::string> jti = StringMember(*claims, "jti");
  FUZZ_CHECK(jti.has_value() && !jti->empty() && jti->size() <= kMaxClientAssertionJtiLength);
  // The header names a key of this client with its algorithm; no kid only
  // when the client has exactly one key.
  const std::optional<std::string> alg = StringMember(*header, "alg");
  FUZZ_CHECK(alg.has_value());
  const std::optional<std::string> kid = StringMember(*header, "kid");
  if (!kid) {
    FUZZ_CHECK(client.keys.size() == 1);
    FUZZ_CHECK(jose::FindMember(*header, "kid") == nullptr);
  }
  bool key_found = false;
  for (size_t i : client.keys) {
    if (kid && *kid != FuzzKids()[i]) continue;
    const std::string& key_alg = FuzzSigningKeys()[i]->public_jwk().alg;
    FUZZ_CHECK(*alg == key_alg || (key_alg == "EdDSA" && *alg == "Ed25519"));
    key_found = true;
  }
  FUZZ_CHECK(key_found);
}

}  // namespace
}  // namespace oauthd::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace oauthd;
  using namespace oauthd::fuzz;
  if (size < 2 || size > 16384) return 0;
  const bool sign = data[0] == 's';
  const uint8_t selector = data[1];
  const size_t key_index = (selector & 3) == 3 ? 1 : (selector & 3);
  const ClientSpec& client = Clients()[((selector >> 2) & 3) == 3 ? 0 : ((selector >> 2) & 3)];
  static constexpr const char* kEndpoints[] = {"/token", "/introspect", "/revoke", "/token"};
  const absl::string_view endpoint = kEndpoints[(selector >> 4) & 3];

  auto expand = [&](absl::string_view field) {
    return absl::StrReplaceAll(field, {{"$ID", client.id},
                                       {"$NOW", absl::StrCat(kNowSeconds)},
                                       {"$EXP", absl::StrCat(kNowSeconds + 60)}});
  };
  const std::vector<absl::string_view> fields =
      SplitFields(AsView(data + 2, size - 2), sign ? 3 : 2);
  const std::string client_id = expand(fields[0]);
  std::string assertion;
  if (sign) {
    const std::string input = absl::StrCat(jose::Base64UrlEncode(expand(fields[1])), ".",
                                           jose::Base64UrlEncode(expand(fields[2])));
    absl::StatusOr<std::string> signature = FuzzSigningKeys()[key_index]->Sign(input);
    FUZZ_CHECK(signature.ok());
    assertion = absl::StrCat(input, ".", jose::Base64UrlEncode(*signature));
  } else {
    assertion = std::string(fields[1]);
  }

  Clock clock = [] { return kNow; };
  std::unique_ptr<storage::Store> store = storage::NewMemoryStore(clock);
  for (const storage::ClientRecord& r : Records()) FUZZ_CHECK(store->clients().Create(r).ok());
  ClientAssertionVerifier verifier(std::string(kIssuer), store->replays(), clock);
  ClientRegistry registry(store->clients(), absl::Seconds(5), clock, &verifier);

  oauth::v1::ClientAuthentication auth;
  auth.set_client_id(client_id);
  auth.set_client_assertion_type(std::string(kJwtBearerAssertionType));
  auth.set_client_assertion(assertion);

  // The unverified sub is what the strict reader reads.
  absl::StatusOr<std::string> subject = ClientAssertionVerifier::UnverifiedSubject(assertion);
  if (subject.ok()) {
    std::optional<google::protobuf::Struct> claims = StrictSegment(assertion, 1);
    if (assertion.size() <= jose::kMaxJwtSize && claims.has_value()) {
      FUZZ_CHECK(StringMember(*claims, "sub") == *subject);
    }
  } else {
    FUZZ_CHECK(ToOAuthError(subject.status()).error() == "invalid_client");
  }

  absl::StatusOr<std::shared_ptr<const storage::ClientRecord>> result =
      registry.Authenticate(auth, endpoint);
  if (!result.ok()) {
    const oauth::v1::OAuthError error = ToOAuthError(result.status());
    FUZZ_CHECK(error.error() == "invalid_client" || error.error() == "invalid_request");
    CheckMessage(error.error_description());
    // A refused assertion does not use its jti up (the verifier's replay key
    // is "jti:<client id>:<jti>").
    std::optional<google::protobuf::Struct> claims = StrictSegment(assertion, 1);
    if (claims.has_value()) {
      const std::optional<std::string> sub = StringMember(*claims, "sub");
      const std::optional<std::string> jti = StringMember(*claims, "jti");
      if (sub && jti && !sub->empty() && !jti->empty()) {
        absl::StatusOr<bool> unused =
            store->replays().MarkUsed(absl::StrCat("jti:", *sub, ":", *jti), absl::Minutes(1));
        FUZZ_CHECK(unused.ok() && *unused);
      }
    }
    return 0;
  }
  // Nothing unsigned by the target authenticates.
  FUZZ_CHECK(sign);
  // The client that authenticated holds the key that signed (the claims
  // may name another client than the selector's).
  const auto accepted = std::find_if(Clients().begin(), Clients().end(), [&](const ClientSpec& c) {
    return (*result)->client().client_id() == c.id;
  });
  FUZZ_CHECK(accepted != Clients().end());
  FUZZ_CHECK(std::find(accepted->keys.begin(), accepted->keys.end(), key_index) !=
             accepted->keys.end());
  CheckAccepted(assertion, *accepted, client_id, endpoint);

  // Single use: the same assertion again is a replay, with or without the
  // client_id, and so is the other (high-S) form of an ES256 signature.
  FUZZ_CHECK(ToOAuthError(registry.Authenticate(auth, endpoint).status()).error() ==
             "invalid_client");
  auth.clear_client_id();
  FUZZ_CHECK(ToOAuthError(registry.Authenticate(auth, endpoint).status()).error() ==
             "invalid_client");
  if (FuzzSigningKeys()[key_index]->alg() == jose::Algorithm::kEs256) {
    const size_t dot = assertion.rfind('.');
    absl::StatusOr<std::string> signature = jose::Base64UrlDecode(assertion.substr(dot + 1));
    FUZZ_CHECK(signature.ok());
    auth.set_client_assertion(
        absl::StrCat(assertion.substr(0, dot + 1), jose::Base64UrlEncode(HighSTwin(*signature))));
    FUZZ_CHECK(ToOAuthError(registry.Authenticate(auth, endpoint).status()).error() ==
               "invalid_client");
  }
  return 0;
}
