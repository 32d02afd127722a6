#include "server/jose/jwt.h"

#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "server/core/status_macros.h"
#include "server/jose/base64url.h"
#include "server/jose/internal/json_cursor.h"
#include "server/jose/json_reader.h"
#include "server/jose/json_writer.h"

namespace oauthd::jose {
namespace {

constexpr int64_t kMaxNumericDate = 9007199254740991;  // 2^53 - 1.

absl::Status CheckString(absl::string_view name, absl::string_view value, bool required) {
  if (value.empty()) {
    if (!required) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat("access token claim \"", name, "\" is required"));
  }
  if (!IsValidUtf8(value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("access token claim \"", name, "\" is not valid UTF-8"));
  }
  return absl::OkStatus();
}

absl::Status CheckTime(absl::string_view name, int64_t value, bool required) {
  if (value == 0 && !required) return absl::OkStatus();
  if (value < 1 || value > kMaxNumericDate) {
    return absl::InvalidArgumentError(absl::StrCat(
        "access token claim \"", name, "\" must be a time in seconds between 1 and 2^53-1"));
  }
  return absl::OkStatus();
}

absl::Status CheckClaims(const AccessTokenClaims& claims) {
  RETURN_IF_ERROR(CheckString("iss", claims.iss, true));
  RETURN_IF_ERROR(CheckString("sub", claims.sub, true));
  if (claims.aud.empty()) {
    return absl::InvalidArgumentError("access token claim \"aud\" is required");
  }
  for (const std::string& audience : claims.aud) {
    RETURN_IF_ERROR(CheckString("aud", audience, true));
  }
  RETURN_IF_ERROR(CheckTime("exp", claims.exp, true));
  RETURN_IF_ERROR(CheckTime("iat", claims.iat, true));
  RETURN_IF_ERROR(CheckTime("nbf", claims.nbf, false));
  RETURN_IF_ERROR(CheckString("jti", claims.jti, true));
  RETURN_IF_ERROR(CheckString("client_id", claims.client_id, true));
  RETURN_IF_ERROR(CheckString("scope", claims.scope, false));
  RETURN_IF_ERROR(CheckString("username", claims.username, false));
  RETURN_IF_ERROR(CheckString("grant_id", claims.grant_id, false));
  return absl::OkStatus();
}

// Appends `,"name":` (`name` is a fixed ASCII identifier needing no escape).
void AppendName(absl::string_view name, std::string* out) {
  absl::StrAppend(out, ",\"", name, "\":");
}

std::string ClaimsJson(const AccessTokenClaims& claims) {
  std::string json;
  json.reserve(160 + claims.iss.size() + claims.sub.size() + claims.jti.size() +
               claims.client_id.size() + claims.scope.size() + claims.username.size() +
               claims.grant_id.size() + claims.aud.size() * 40);
  json.append("{\"iss\":");
  AppendJsonString(claims.iss, &json);
  AppendName("sub", &json);
  AppendJsonString(claims.sub, &json);
  AppendName("aud", &json);
  if (claims.aud.size() == 1) {
    AppendJsonString(claims.aud.front(), &json);
  } else {
    json.push_back('[');
    for (size_t i = 0; i < claims.aud.size(); ++i) {
      if (i > 0) json.push_back(',');
      AppendJsonString(claims.aud[i], &json);
    }
    json.push_back(']');
  }
  // Integers render in plain decimal, never with an exponent.
  absl::StrAppend(&json, ",\"exp\":", claims.exp);
  if (claims.nbf != 0) absl::StrAppend(&json, ",\"nbf\":", claims.nbf);
  absl::StrAppend(&json, ",\"iat\":", claims.iat);
  AppendName("jti", &json);
  AppendJsonString(claims.jti, &json);
  AppendName("client_id", &json);
  AppendJsonString(claims.client_id, &json);
  if (!claims.scope.empty()) {
    AppendName("scope", &json);
    AppendJsonString(claims.scope, &json);
  }
  if (!claims.username.empty()) {
    AppendName("username", &json);
    AppendJsonString(claims.username, &json);
  }
  if (!claims.grant_id.empty()) {
    AppendName("grant_id", &json);
    AppendJsonString(claims.grant_id, &json);
  }
  json.push_back('}');
  return json;
}

absl::Status ReadString(const google::protobuf::Struct& payload, absl::string_view name,
                        std::optional<std::string>* out) {
  ASSIGN_OR_RETURN(*out, GetOptionalString(payload, name));
  return absl::OkStatus();
}

absl::Status ReadTime(const google::protobuf::Struct& payload, absl::string_view name,
                      std::optional<int64_t>* out) {
  ASSIGN_OR_RETURN(*out, GetOptionalInt64(payload, name));
  return absl::OkStatus();
}

}  // namespace

std::string AccessTokenHeaderJson(Algorithm alg, absl::string_view kid) {
  std::string json;
  json.reserve(48 + kid.size());
  absl::StrAppend(&json, "{\"alg\":\"", AlgorithmName(alg), "\",\"typ\":\"", kAccessTokenType,
                  "\",\"kid\":");
  AppendJsonString(kid, &json);
  json.push_back('}');
  return json;
}

absl::StatusOr<std::string> EncodeJwt(const SigningKey& key, const AccessTokenClaims& claims) {
  RETURN_IF_ERROR(CheckClaims(claims));
  std::string token = Base64UrlEncode(AccessTokenHeaderJson(key.alg(), key.kid()));
  token.push_back('.');
  Base64UrlAppend(ClaimsJson(claims), &token);
  std::string signature;
  RETURN_IF_ERROR(key.SignTo(token, &signature));
  token.push_back('.');
  Base64UrlAppend(signature, &token);
  return token;
}

namespace {

// A cursor over the JSON text for ParseSimpleJwtClaims. Every method returns
// false when the input leaves the supported subset (the caller then answers
// nullopt and the full parser decides).
class SimpleJsonScanner : public internal::JsonCursor {
 public:
  using JsonCursor::JsonCursor;

  // Reads a string literal into `*out` exactly as the strict reader does.
  bool String(std::string* out) { return Peek() == '"' && ReadString(out).ok(); }

  // Reads an integer literal of at most 16 digits within ±(2^53-1). Numbers
  // with a fraction or an exponent are outside the subset.
  bool Integer(int64_t* out) {
    SkipWhitespace();
    bool negative = false;
    if (pos_ < json_.size() && json_[pos_] == '-') {
      negative = true;
      ++pos_;
    }
    const size_t first = pos_;
    int64_t value = 0;
    while (pos_ < json_.size() && json_[pos_] >= '0' && json_[pos_] <= '9') {
      if (pos_ - first == 16) return false;
      value = value * 10 + (json_[pos_] - '0');
      ++pos_;
    }
    const size_t digits = pos_ - first;
    if (digits == 0 || (digits > 1 && json_[first] == '0')) return false;
    if (pos_ < json_.size() &&
        (json_[pos_] == '.' || json_[pos_] == 'e' || json_[pos_] == 'E')) {
      return false;
    }
    if (value > kMaxNumericDate) return false;
    *out = negative ? -value : value;
    return true;
  }

  // Skips one scalar value (string, integer, true, false, null).
  bool SkipScalar() {
    switch (Peek()) {
      case '"': return String(&scratch_);
      case 't': return Literal("true");
      case 'f': return Literal("false");
      case 'n': return Literal("null");
      default: {
        int64_t ignored;
        return Integer(&ignored);
      }
    }
  }

  // Skips a scalar or a flat array of scalars.
  bool SkipValue() {
    if (!Consume('[')) return SkipScalar();
    if (Consume(']')) return true;
    do {
      if (!SkipScalar()) return false;
    } while (Consume(','));
    return Consume(']');
  }

 private:
  std::string scratch_;
};

bool ReadSimpleString(SimpleJsonScanner& scanner, std::optional<std::string>* out) {
  std::string value;
  if (scanner.Peek() != '"' || !scanner.String(&value)) return false;
  *out = std::move(value);
  return true;
}

bool ReadSimpleTime(SimpleJsonScanner& scanner, std::optional<int64_t>* out) {
  int64_t value;
  if (!scanner.Integer(&value)) return false;
  *out = value;
  return true;
}

}  // namespace

std::optional<JwtClaims> ParseSimpleJwtClaims(absl::string_view json) {
  // The strict reader rejects invalid UTF-8 anywhere in the document; so do
  // we.
  if (!IsValidUtf8(json)) return std::nullopt;
  SimpleJsonScanner scanner(json);
  if (!scanner.Consume('{')) return std::nullopt;
  JwtClaims claims;
  std::vector<std::string> names;  // Every member name, to refuse repeats.
  std::string name;
  if (!scanner.Consume('}')) {
    do {
      if (scanner.Peek() != '"' || !scanner.String(&name) || !scanner.Consume(':')) {
        return std::nullopt;
      }
      for (const std::string& seen : names) {
        if (seen == name) return std::nullopt;
      }
      bool ok;
      if (name == "iss") {
        ok = ReadSimpleString(scanner, &claims.iss);
      } else if (name == "sub") {
        ok = ReadSimpleString(scanner, &claims.sub);
      } else if (name == "aud") {
        std::string audience;
        if (scanner.Consume('[')) {
          ok = true;
          if (!scanner.Consume(']')) {
            do {
              ok = scanner.Peek() == '"' && scanner.String(&audience);
              if (ok) claims.aud.push_back(audience);
            } while (ok && scanner.Consume(','));
            ok = ok && scanner.Consume(']');
          }
        } else {
          ok = scanner.Peek() == '"' && scanner.String(&audience);
          if (ok) claims.aud.push_back(std::move(audience));
        }
      } else if (name == "exp") {
        ok = ReadSimpleTime(scanner, &claims.exp);
      } else if (name == "nbf") {
        ok = ReadSimpleTime(scanner, &claims.nbf);
      } else if (name == "iat") {
        ok = ReadSimpleTime(scanner, &claims.iat);
      } else if (name == "jti") {
        ok = ReadSimpleString(scanner, &claims.jti);
      } else if (name == "client_id") {
        ok = ReadSimpleString(scanner, &claims.client_id);
      } else if (name == "scope") {
        ok = ReadSimpleString(scanner, &claims.scope);
      } else if (name == "username") {
        ok = ReadSimpleString(scanner, &claims.username);
      } else if (name == "grant_id") {
        ok = ReadSimpleString(scanner, &claims.grant_id);
      } else {
        ok = scanner.SkipValue();
      }
      if (!ok) return std::nullopt;
      names.push_back(std::move(name));
    } while (scanner.Consume(','));
    if (!scanner.Consume('}')) return std::nullopt;
  }
  if (!scanner.AtEnd()) return std::nullopt;
  return claims;
}

absl::StatusOr<JwtClaims> ParseJwtClaims(const google::protobuf::Struct& payload) {
  JwtClaims claims;
  RETURN_IF_ERROR(ReadString(payload, "iss", &claims.iss));
  RETURN_IF_ERROR(ReadString(payload, "sub", &claims.sub));
  if (const google::protobuf::Value* aud = FindMember(payload, "aud"); aud != nullptr) {
    if (aud->kind_case() == google::protobuf::Value::kStringValue) {
      claims.aud.push_back(aud->string_value());
    } else if (aud->kind_case() == google::protobuf::Value::kListValue) {
      for (const google::protobuf::Value& item : aud->list_value().values()) {
        if (item.kind_case() != google::protobuf::Value::kStringValue) {
          return absl::InvalidArgumentError("\"aud\" must be a string or an array of strings");
        }
        claims.aud.push_back(item.string_value());
      }
    } else {
      return absl::InvalidArgumentError("\"aud\" must be a string or an array of strings");
    }
  }
  RETURN_IF_ERROR(ReadTime(payload, "exp", &claims.exp));
  RETURN_IF_ERROR(ReadTime(payload, "nbf", &claims.nbf));
  RETURN_IF_ERROR(ReadTime(payload, "iat", &claims.iat));
  RETURN_IF_ERROR(ReadString(payload, "jti", &claims.jti));
  RETURN_IF_ERROR(ReadString(payload, "client_id", &claims.client_id));
  RETURN_IF_ERROR(ReadString(payload, "scope", &claims.scope));
  RETURN_IF_ERROR(ReadString(payload, "username", &claims.username));
  RETURN_IF_ERROR(ReadString(payload, "grant_id", &claims.grant_id));
  return claims;
}

}  // namespace oauthd::jose
