#include "server/gateway/form.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/jose/json_writer.h"

namespace oauthd::gateway {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// A parameter name fit to quote in an error description: printable ASCII and
// short, so the description stays safe to show and to put in JSON.
std::string Quotable(absl::string_view name) {
  if (name.size() > 64) return "a parameter";
  for (unsigned char c : name) {
    if (c < 0x21 || c > 0x7e || c == '"' || c == '\\') return "a parameter";
  }
  return absl::StrCat("'", name, "'");
}

const std::string& EmptyString() {
  static const std::string* const kEmpty = new std::string();
  return *kEmpty;
}

}  // namespace

absl::StatusOr<std::string> FormUrlDecode(absl::string_view encoded) {
  std::string out;
  out.reserve(encoded.size());
  for (size_t i = 0; i < encoded.size(); ++i) {
    const char c = encoded[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= encoded.size()) {
        return absl::InvalidArgumentError("malformed percent-encoding");
      }
      const int hi = HexValue(encoded[i + 1]);
      const int lo = HexValue(encoded[i + 2]);
      if (hi < 0 || lo < 0) return absl::InvalidArgumentError("malformed percent-encoding");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string UrlEncode(absl::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size() * 3 / 2);
  for (unsigned char c : value) {
    if (IsUnreserved(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0f]);
    }
  }
  return out;
}

bool IsValidUtf8(absl::string_view text) {
  // One UTF-8 validator for the project (jose's); form values also refuse NUL.
  return text.find('\0') == absl::string_view::npos && jose::IsValidUtf8(text);
}

absl::StatusOr<FormParameters> FormParameters::Parse(
    absl::string_view encoded, std::initializer_list<absl::string_view> repeatable) {
  FormParameters form;
  for (absl::string_view pair : absl::StrSplit(encoded, '&')) {
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    const absl::string_view raw_name = pair.substr(0, eq);
    const absl::string_view raw_value =
        eq == absl::string_view::npos ? absl::string_view() : pair.substr(eq + 1);
    absl::StatusOr<std::string> name = FormUrlDecode(raw_name);
    if (!name.ok()) return absl::InvalidArgumentError("malformed percent-encoding in the request");
    if (!IsValidUtf8(*name)) {
      return absl::InvalidArgumentError("a parameter name is not valid UTF-8");
    }
    absl::StatusOr<std::string> value = FormUrlDecode(raw_value);
    if (!value.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("malformed percent-encoding in ", Quotable(*name)));
    }
    if (!IsValidUtf8(*value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("the value of ", Quotable(*name), " is not valid UTF-8"));
    }
    // RFC 6749 §3.1: parameters sent without a value are treated as omitted.
    if (name->empty() || value->empty()) continue;
    form.pairs_.emplace_back(*std::move(name), *std::move(value));
  }
  // Duplicates are checked after dropping empty values, so "scope=&scope=a"
  // carries one scope.
  absl::flat_hash_set<absl::string_view> seen;
  for (const auto& [name, value] : form.pairs_) {
    if (std::find(repeatable.begin(), repeatable.end(), name) != repeatable.end()) continue;
    if (!seen.insert(name).second) {
      return absl::InvalidArgumentError(absl::StrCat("parameter ", Quotable(name), " is repeated"));
    }
  }
  return form;
}

const std::string& FormParameters::Get(absl::string_view name) const {
  for (const auto& [n, v] : pairs_) {
    if (n == name) return v;
  }
  return EmptyString();
}

bool FormParameters::Has(absl::string_view name) const {
  for (const auto& [n, v] : pairs_) {
    if (n == name) return true;
  }
  return false;
}

std::vector<std::string> FormParameters::GetAll(absl::string_view name) const {
  std::vector<std::string> values;
  for (const auto& [n, v] : pairs_) {
    if (n == name) values.push_back(v);
  }
  return values;
}

}  // namespace oauthd::gateway
