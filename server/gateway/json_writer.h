#ifndef OAUTHD_SERVER_GATEWAY_JSON_WRITER_H_
#define OAUTHD_SERVER_GATEWAY_JSON_WRITER_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace oauthd::gateway {

// Appends `text` to `out` as a JSON string literal (RFC 8259 §7), quotes
// included. '"', '\\' and control characters are escaped, and so are '<', '>'
// and '&' so a document can never be mistaken for markup. `text` must be
// valid UTF-8 (protobuf strings and IsValidUtf8-checked input are).
void AppendJsonString(std::string& out, absl::string_view text);

// Builds one flat JSON object, members in the order they are added.
// Not thread-safe; one writer per document.
//
// Example:
//   JsonObjectWriter json;
//   json.String("error", "invalid_request");
//   json.Finish();  // {"error":"invalid_request"}
class JsonObjectWriter {
 public:
  JsonObjectWriter() : out_("{") {}

  void String(absl::string_view name, absl::string_view value);
  // Adds the member only when `value` is not empty (RFC 7517/8414 style
  // "omit members that do not apply").
  void StringIfNotEmpty(absl::string_view name, absl::string_view value);
  void Int(absl::string_view name, int64_t value);
  void Bool(absl::string_view name, bool value);
  // Adds an array of strings; skipped when `values` is empty.
  void StringArrayIfNotEmpty(absl::string_view name,
                             const google::protobuf::RepeatedPtrField<std::string>& values);
  // Adds `raw_json` verbatim as the member's value; the caller vouches that it
  // is one valid JSON value.
  void Raw(absl::string_view name, absl::string_view raw_json);

  // Closes the object and returns it; the writer must not be used afterwards.
  std::string Finish();

 private:
  void Name(absl::string_view name);

  std::string out_;
  bool first_ = true;
};

}  // namespace oauthd::gateway

#endif  // OAUTHD_SERVER_GATEWAY_JSON_WRITER_H_
