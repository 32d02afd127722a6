#include "server/gateway/json_writer.h"

#include "absl/strings/str_cat.h"

namespace oauthd::gateway {

void AppendJsonString(std::string& out, absl::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  // Characters that need no escape are copied in runs: a token is hundreds
  // of them.
  size_t run = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    const bool plain = c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' &&
                       c != 0x7f;
    if (plain) continue;
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default: {
        const char escaped[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0x0f]};
        out.append(escaped, sizeof(escaped));
      }
    }
  }
  out.append(text.data() + run, text.size() - run);
  out.push_back('"');
}

void JsonObjectWriter::Name(absl::string_view name) {
  if (!first_) out_.push_back(',');
  first_ = false;
  AppendJsonString(out_, name);
  out_.push_back(':');
}

void JsonObjectWriter::String(absl::string_view name, absl::string_view value) {
  Name(name);
  AppendJsonString(out_, value);
}

void JsonObjectWriter::StringIfNotEmpty(absl::string_view name, absl::string_view value) {
  if (!value.empty()) String(name, value);
}

void JsonObjectWriter::Int(absl::string_view name, int64_t value) {
  Name(name);
  absl::StrAppend(&out_, value);
}

void JsonObjectWriter::Bool(absl::string_view name, bool value) {
  Name(name);
  out_ += value ? "true" : "false";
}

void JsonObjectWriter::StringArrayIfNotEmpty(
    absl::string_view name, const google::protobuf::RepeatedPtrField<std::string>& values) {
  if (values.empty()) return;
  Name(name);
  out_.push_back('[');
  bool first = true;
  for (const std::string& value : values) {
    if (!first) out_.push_back(',');
    first = false;
    AppendJsonString(out_, value);
  }
  out_.push_back(']');
}

void JsonObjectWriter::Raw(absl::string_view name, absl::string_view raw_json) {
  Name(name);
  out_.append(raw_json.data(), raw_json.size());
}

std::string JsonObjectWriter::Finish() {
  out_.push_back('}');
  return std::move(out_);
}

}  // namespace oauthd::gateway
