#include "server/jose/json_reader.h"

#include <cmath>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/jose/json_writer.h"

namespace oauthd::jose {
namespace {

// 2^53 - 1: the largest integer n such that n and n + 1 are both doubles.
constexpr double kMaxSafeInteger = 9007199254740991.0;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(uint32_t code_point, std::string* out) {
  if (code_point < 0x80) {
    out->push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

// Recursive descent over RFC 8259's grammar. Every error names the byte
// offset, never the input (it may be part of a token).
class StrictJsonParser {
 public:
  explicit StrictJsonParser(absl::string_view json) : json_(json) {}

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
  absl::Status Fail(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(what, " at offset ", pos_));
  }

  bool At(char c) const { return pos_ < json_.size() && json_[pos_] == c; }

  // RFC 8259 §2: ws = *( %x20 / %x09 / %x0A / %x0D ).
  void SkipWhitespace() {
    while (pos_ < json_.size() && (json_[pos_] == ' ' || json_[pos_] == '\t' ||
                                   json_[pos_] == '\n' || json_[pos_] == '\r')) {
      ++pos_;
    }
  }

  // Consumes `c` after optional whitespace.
  bool Consume(char c) {
    SkipWhitespace();
    if (!At(c)) return false;
    ++pos_;
    return true;
  }

  absl::Status ParseValue(google::protobuf::Value* out, int depth) {
    SkipWhitespace();
    if (pos_ == json_.size()) return Fail("unexpected end of input");
    switch (json_[pos_]) {
      case '{':
        return ParseObject(out->mutable_struct_value(), depth + 1);
      case '[':
        return ParseArray(out->mutable_list_value(), depth + 1);
      case '"':
        return ParseString(out->mutable_string_value());
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

  bool Literal(absl::string_view word) {
    if (json_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
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
      absl::Status status = ParseString(&name);
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

  // Four hex digits after "\u", or -1.
  int32_t ReadHex4() {
    if (json_.size() - pos_ < 4) return -1;
    int32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      const int digit = HexDigit(json_[pos_ + i]);
      if (digit < 0) return -1;
      value = value * 16 + digit;
    }
    pos_ += 4;
    return value;
  }

  // At '"'. Replaces `*out` with the decoded string (RFC 8259 §7).
  absl::Status ParseString(std::string* out) {
    ++pos_;
    out->clear();
    while (true) {
      const size_t run = pos_;
      while (pos_ < json_.size() && json_[pos_] != '"' && json_[pos_] != '\\' &&
             static_cast<unsigned char>(json_[pos_]) >= 0x20) {
        ++pos_;
      }
      out->append(json_.data() + run, pos_ - run);
      if (pos_ == json_.size()) return Fail("unterminated string");
      const char c = json_[pos_];
      if (c == '"') {
        ++pos_;
        return absl::OkStatus();
      }
      if (c != '\\') return Fail("control character in a string");
      ++pos_;
      if (pos_ == json_.size()) return Fail("unterminated string");
      const char escape = json_[pos_++];
      switch (escape) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case '/': out->push_back('/'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          const int32_t unit = ReadHex4();
          if (unit < 0) return Fail("\\u needs four hex digits");
          if (unit >= 0xDC00 && unit <= 0xDFFF) return Fail("lone low surrogate");
          if (unit < 0xD800 || unit > 0xDBFF) {
            AppendUtf8(static_cast<uint32_t>(unit), out);
            break;
          }
          // A high surrogate must be followed at once by an escaped low one.
          if (json_.substr(pos_, 2) != "\\u") return Fail("lone high surrogate");
          pos_ += 2;
          const int32_t low = ReadHex4();
          if (low < 0xDC00 || low > 0xDFFF) return Fail("lone high surrogate");
          AppendUtf8(0x10000 + ((static_cast<uint32_t>(unit) - 0xD800) << 10) +
                         (static_cast<uint32_t>(low) - 0xDC00),
                     out);
          break;
        }
        default:
          --pos_;
          return Fail("invalid escape in a string");
      }
    }
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

  absl::string_view json_;
  size_t pos_ = 0;
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
