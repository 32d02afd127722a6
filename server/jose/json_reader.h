#ifndef OAUTHD_SERVER_JOSE_JSON_READER_H_
#define OAUTHD_SERVER_JOSE_JSON_READER_H_

// JSON input for JOSE documents, parsed with protobuf's JSON support into a
// google.protobuf.Struct, plus typed member access.
//
// Parser properties worth knowing (protobuf 3.21): duplicate member names are
// rejected (which satisfies RFC 7515 §4's "reject or use the last" rule for
// JOSE headers); invalid UTF-8, lone surrogates, NaN/Infinity and trailing
// data are rejected; numbers are doubles. Nesting is limited to
// kMaxJsonDepth here, before protobuf sees the input, because protobuf's
// time grows superlinearly with depth.
// It is lenient about some non-standard syntax (single-quoted strings,
// unquoted member names, trailing commas), which does not weaken signature
// checks because the bytes signed are the encoded segments, not the parse.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/struct.pb.h"

namespace oauthd::jose {

// Deepest nesting of objects and arrays ParseJsonObject accepts (the root
// object counts as 1). JOSE documents need 3 or 4.
inline constexpr int kMaxJsonDepth = 32;

// Parses `json`, which must be a single JSON object. Returns InvalidArgument
// with a one-line reason on malformed JSON or a non-object root.
// Thread-safe.
absl::StatusOr<google::protobuf::Struct> ParseJsonObject(absl::string_view json);

// Returns the member `name` of `object` if present, or nullptr.
const google::protobuf::Value* FindMember(const google::protobuf::Struct& object,
                                          absl::string_view name);

// Returns the string member `name`: nullopt if absent, InvalidArgument if
// present with any other JSON type (null included).
absl::StatusOr<std::optional<std::string>> GetOptionalString(
    const google::protobuf::Struct& object, absl::string_view name);

// Returns the integer member `name`: nullopt if absent, InvalidArgument if
// present but not a number, not integral, or outside ±(2^53 - 1) (beyond
// which a JSON number parsed as a double no longer identifies one integer).
absl::StatusOr<std::optional<int64_t>> GetOptionalInt64(
    const google::protobuf::Struct& object, absl::string_view name);

// Converts a JSON number to an exact integer, or nullopt under the rules of
// GetOptionalInt64.
std::optional<int64_t> JsonNumberToInt64(double number);

}  // namespace oauthd::jose

#endif  // OAUTHD_SERVER_JOSE_JSON_READER_H_
