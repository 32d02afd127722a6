#include "server/jose/internal/json_cursor.h"

#include <cstdint>

#include "absl/strings/str_cat.h"

namespace oauthd::jose::internal {
namespace {

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

// Four hex digits at `*pos` (advanced past them), or -1.
int32_t ReadHex4(absl::string_view json, size_t* pos) {
  if (json.size() - *pos < 4) return -1;
  int32_t value = 0;
  for (size_t i = 0; i < 4; ++i) {
    const int digit = HexDigit(json[*pos + i]);
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  *pos += 4;
  return value;
}

}  // namespace

absl::Status JsonCursor::Fail(absl::string_view what) const {
  return absl::InvalidArgumentError(absl::StrCat(what, " at offset ", pos_));
}

void JsonCursor::SkipWhitespace() {
  while (pos_ < json_.size() && (json_[pos_] == ' ' || json_[pos_] == '\t' ||
                                 json_[pos_] == '\n' || json_[pos_] == '\r')) {
    ++pos_;
  }
}

bool JsonCursor::Consume(char c) {
  SkipWhitespace();
  if (!At(c)) return false;
  ++pos_;
  return true;
}

char JsonCursor::Peek() {
  SkipWhitespace();
  return pos_ < json_.size() ? json_[pos_] : '\0';
}

bool JsonCursor::AtEnd() {
  SkipWhitespace();
  return pos_ == json_.size();
}

bool JsonCursor::Literal(absl::string_view word) {
  SkipWhitespace();
  if (json_.substr(pos_, word.size()) != word) return false;
  pos_ += word.size();
  return true;
}

absl::Status JsonCursor::ReadString(std::string* out) {
  if (!At('"')) return Fail("expected a string");
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
    switch (json_[pos_++]) {
      case '"': out->push_back('"'); break;
      case '\\': out->push_back('\\'); break;
      case '/': out->push_back('/'); break;
      case 'b': out->push_back('\b'); break;
      case 'f': out->push_back('\f'); break;
      case 'n': out->push_back('\n'); break;
      case 'r': out->push_back('\r'); break;
      case 't': out->push_back('\t'); break;
      case 'u': {
        const int32_t unit = ReadHex4(json_, &pos_);
        if (unit < 0) return Fail("\\u needs four hex digits");
        if (unit >= 0xDC00 && unit <= 0xDFFF) return Fail("lone low surrogate");
        if (unit < 0xD800 || unit > 0xDBFF) {
          AppendUtf8(static_cast<uint32_t>(unit), out);
          break;
        }
        // A high surrogate must be followed at once by an escaped low one.
        if (json_.substr(pos_, 2) != "\\u") return Fail("lone high surrogate");
        pos_ += 2;
        const int32_t low = ReadHex4(json_, &pos_);
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

}  // namespace oauthd::jose::internal
