#include "client/oauthctl/json_output.h"

#include <cmath>
#include <cstdio>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"

namespace oauthctl {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

void AppendString(std::string* out, absl::string_view s) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out->append(buf);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

void AppendDouble(std::string* out, double d) {
  if (std::isfinite(d)) {
    absl::StrAppend(out, d);
  } else {
    AppendString(out, std::isnan(d) ? "NaN" : (d > 0 ? "Infinity" : "-Infinity"));
  }
}

void AppendMessage(std::string* out, const Message& message);

// One value of `field` (element `index` when repeated, else -1).
void AppendValue(std::string* out, const Message& m, const FieldDescriptor* f, int index) {
  const Reflection* r = m.GetReflection();
  const bool rep = index >= 0;
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      absl::StrAppend(out, rep ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f));
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      absl::StrAppend(out, rep ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f));
      break;
    case FieldDescriptor::CPPTYPE_UINT32:
      absl::StrAppend(out, rep ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f));
      break;
    case FieldDescriptor::CPPTYPE_UINT64:
      absl::StrAppend(out, rep ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f));
      break;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      AppendDouble(out, rep ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f));
      break;
    case FieldDescriptor::CPPTYPE_FLOAT:
      AppendDouble(out, rep ? r->GetRepeatedFloat(m, f, index) : r->GetFloat(m, f));
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      out->append((rep ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f)) ? "true" : "false");
      break;
    case FieldDescriptor::CPPTYPE_ENUM: {
      const auto* value = rep ? r->GetRepeatedEnum(m, f, index) : r->GetEnum(m, f);
      AppendString(out, value->name());
      break;
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      const std::string s = rep ? r->GetRepeatedString(m, f, index) : r->GetString(m, f);
      if (f->type() == FieldDescriptor::TYPE_BYTES) {
        AppendString(out, absl::Base64Escape(s));
      } else {
        AppendString(out, s);
      }
      break;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      AppendMessage(out, rep ? r->GetRepeatedMessage(m, f, index) : r->GetMessage(m, f));
      break;
  }
}

void AppendMessage(std::string* out, const Message& message) {
  const Reflection* r = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(message, &fields);  // set fields only, in field-number order
  out->push_back('{');
  bool first = true;
  for (const FieldDescriptor* f : fields) {
    if (!first) out->push_back(',');
    first = false;
    AppendString(out, f->name());
    out->push_back(':');
    if (f->is_map()) {
      out->push_back('{');
      const FieldDescriptor* key = f->message_type()->map_key();
      const FieldDescriptor* value = f->message_type()->map_value();
      for (int i = 0; i < r->FieldSize(message, f); ++i) {
        if (i > 0) out->push_back(',');
        const Message& entry = r->GetRepeatedMessage(message, f, i);
        std::string k;
        AppendValue(&k, entry, key, -1);
        if (k.empty() || k[0] != '"') k = absl::StrCat("\"", k, "\"");
        absl::StrAppend(out, k, ":");
        AppendValue(out, entry, value, -1);
      }
      out->push_back('}');
    } else if (f->is_repeated()) {
      out->push_back('[');
      for (int i = 0; i < r->FieldSize(message, f); ++i) {
        if (i > 0) out->push_back(',');
        AppendValue(out, message, f, i);
      }
      out->push_back(']');
    } else {
      AppendValue(out, message, f, -1);
    }
  }
  out->push_back('}');
}

}  // namespace

std::string MessageToJson(const Message& message) {
  std::string out;
  AppendMessage(&out, message);
  return out;
}

}  // namespace oauthctl
