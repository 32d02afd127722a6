#include "server/jose/json_reader.h"

#include <cmath>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/jose/internal/json_cursor.h"
#include "server/jose/json_writer.h"

namespace oauthd::jose {
namespace {

// 2^53 - 1: the largest integer n such that n and n + 1 are both doubles.
constexpr double kMaxSafeInteger = 9007199254740991.0;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Recursive descent over RFC 8259's grammar. Every error names the byte
// offset, never the input (it may be part of a token).
class StrictJsonParser : public internal::JsonCursor {
 public:
  using JsonCursor::JsonCursor;

  absl::Status ParseRootObject(google::protobuf::Struct* root) {
    SkipWhitespace();
    if (!At('{')) return Fail("the root must be an object");
    absl::Status status = ParseObject(root, 1);
    if (!status.ok()) return status;
    SkipWhitespace();
    if (pos_ != json_.size()) return Fail("unexpected data after the root object");
    return absl::OkStatus();
  }

 private:
  absl::Status ParseValue(google::protobuf::Value* out, int depth) {
    SkipWhitespace();
    if (pos_ == json_.size()) return Fail("unexpected end of input");
    switch (json_[pos_]) {
      case '{':
        return ParseObject(out->mutable_struct_value(), depth + 1);
      case '[':
        return ParseArray(out->mutable_list_value(), depth + 1);
      case '"':
        return ReadString(out->mutable_string_value());
      case 't':
        if (!Literal("true")) return Fail("invalid literal");
        out->set_bool_value(true);
        return absl::OkStatus();
      case 'f':
        if (!Literal("false")) return Fail("invalid literal");
        out->set_bool_value(false);
        return absl::OkStatus();
      case 'n':
        if (!Literal("null")) return Fail("invalid literal");
        out->set_null_value(google::protobuf::NULL_VALUE);
        return absl::OkStatus();
      default: {
        double number;
        absl::Status status = ParseNumber(&number);
        if (status.ok()) out->set_number_value(number);
        return status;
      }
    }
  }

  // At '{'. `depth` counts this object.
  absl::Status ParseObject(google::protobuf::Struct* out, int depth) {
    if (depth > kMaxJsonDepth) {
      return Fail(absl::StrCat("nested deeper than ", kMaxJsonDepth, " levels"));
    }
    ++pos_;
    auto& fields = *out->mutable_fields();
    if (Consume('}')) return absl::OkStatus();
    std::string name;
    do {
      SkipWhitespace();
      if (!At('"')) return Fail("expected a member name in double quotes");
      absl::Status status = ReadString(&name);
      if (!status.ok()) return status;
      if (!Consume(':')) return Fail("expected ':' after a member name");
      if (fields.find(name) != fields.end()) return Fail("duplicate member name");
      status = ParseValue(&fields[name], depth);
      if (!status.ok()) return status;
    } while (Consume(','));
    if (!Consume('}')) return Fail("expected ',' or '}' in an object");
    return absl::OkStatus();
  }

  // At '['. `depth` counts this array.
  absl::Status ParseArray(google::protobuf::ListValue* out, int depth) {
    if (depth > kMaxJsonDepth) {
      return Fail(absl::StrCat("nested deeper than ", kMaxJsonDepth, " levels"));
    }
    ++pos_;
    if (Consume(']')) return absl::OkStatus();
    do {
      absl::Status status = ParseValue(out->add_values(), depth);
      if (!status.ok()) return status;
    } while (Consume(','));
    if (!Consume(']')) return Fail("expected ',' or ']' in an array");
    return absl::OkStatus();
  }

  // number = [ minus ] int [ frac ] [ exp ] (RFC 8259 §6), as a finite double.
  absl::Status ParseNumber(double* out) {
    const size_t start = pos_;
    if (At('-')) ++pos_;
    if (At('0')) {
      ++pos_;
      if (pos_ < json_.size() && IsDigit(json_[pos_])) return Fail("leading zero in a number");
    } else if (pos_ < json_.size() && IsDigit(json_[pos_])) {
      while (pos_ < json_.size() && IsDigit(json_[pos_])) ++pos_;
    } else {
      return Fail("expected a value");
    }
    if (At('.')) {
      ++pos_;
      if (pos_ == json_.size() || !IsDigit(json_[pos_])) return Fail("digit expected after '.'");
      while (pos_ < json_.size() && IsDigit(json_[pos_])) ++pos_;
    }
    if (At('e') || At('E')) {
      ++pos_;
      if (At('+') || At('-')) ++pos_;
      if (pos_ == json_.size() || !IsDigit(json_[pos_])) return Fail("digit expected in exponent");
      while (pos_ < json_.size() && IsDigit(json_[pos_])) ++pos_;
    }
    // SimpleAtod turns an overflow into an infinity, which JSON cannot carry.
    if (!absl::SimpleAtod(json_.substr(start, pos_ - start), out) || !std::isfinite(*out)) {
      return Fail("number out of range");
    }
    return absl::OkStatus();
  }
};

}  // namespace

absl::StatusOr<google::protobuf::Struct> ParseJsonObject(absl::string_view json) {
  // RFC 8259 §8.1: UTF-8 only (a byte-order mark then fails the grammar).
  if (!IsValidUtf8(json)) return absl::InvalidArgumentError("invalid JSON object: not UTF-8");
  google::protobuf::Struct object;
  absl::Status status = StrictJsonParser(json).ParseRootObject(&object);
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid JSON object: ", status.message()));
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
