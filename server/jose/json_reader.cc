#include "server/jose/json_reader.h"

#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

namespace oauthd::jose {
namespace {

// 2^53 - 1: the largest integer n such that n and n + 1 are both doubles.
constexpr double kMaxSafeInteger = 9007199254740991.0;

// Returns true if objects/arrays in `json` nest deeper than kMaxJsonDepth.
// Protobuf's transcoder takes time superlinear in the nesting depth (about a
// second for 4000 levels, which fit in an 8 KiB token header that is parsed
// before any signature check), so depth is bounded up front in linear time.
bool NestsTooDeep(absl::string_view json) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // Skip the escaped character (it may be a quote).
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '{':
      case '[':
        if (++depth > kMaxJsonDepth) return true;
        break;
      case '}':
      case ']':
        --depth;
        break;
      default:
        break;
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<google::protobuf::Struct> ParseJsonObject(absl::string_view json) {
  if (NestsTooDeep(json)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid JSON object: nested deeper than ", kMaxJsonDepth, " levels"));
  }
  google::protobuf::Struct object;
  // Struct's JSON form is any JSON object; other roots fail to parse.
  const auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &object);
  if (!status.ok()) {
    // Protobuf appends the offending input on further lines: keep line one.
    absl::string_view reason(status.message().data(), status.message().size());
    reason = reason.substr(0, reason.find('\n'));
    while (!reason.empty() && reason.back() == ' ') reason.remove_suffix(1);
    if (reason.empty()) reason = "malformed JSON";
    return absl::InvalidArgumentError(absl::StrCat("invalid JSON object: ", reason));
  }
  return object;
}

const google::protobuf::Value* FindMember(const google::protobuf::Struct& object,
                                          absl::string_view name) {
  const auto it = object.fields().find(std::string(name));
  return it == object.fields().end() ? nullptr : &it->second;
}

absl::StatusOr<std::optional<std::string>> GetOptionalString(
    const google::protobuf::Struct& object, absl::string_view name) {
  const google::protobuf::Value* value = FindMember(object, name);
  if (value == nullptr) return std::optional<std::string>();
  if (value->kind_case() != google::protobuf::Value::kStringValue) {
    return absl::InvalidArgumentError(absl::StrCat("\"", name, "\" must be a string"));
  }
  return std::optional<std::string>(value->string_value());
}

std::optional<int64_t> JsonNumberToInt64(double number) {
  if (!std::isfinite(number) || std::trunc(number) != number ||
      std::fabs(number) > kMaxSafeInteger) {
    return std::nullopt;
  }
  return static_cast<int64_t>(number);
}

absl::StatusOr<std::optional<int64_t>> GetOptionalInt64(
    const google::protobuf::Struct& object, absl::string_view name) {
  const google::protobuf::Value* value = FindMember(object, name);
  if (value == nullptr) return std::optional<int64_t>();
  if (value->kind_case() != google::protobuf::Value::kNumberValue) {
    return absl::InvalidArgumentError(absl::StrCat("\"", name, "\" must be a number"));
  }
  std::optional<int64_t> integer = JsonNumberToInt64(value->number_value());
  if (!integer.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", name, "\" must be an integer between -(2^53-1) and 2^53-1"));
  }
  return integer;
}

}  // namespace oauthd::jose
