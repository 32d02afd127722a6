#ifndef OAUTHD_SERVER_JOSE_JSON_READER_H_
#define OAUTHD_SERVER_JOSE_JSON_READER_H_

// JSON input for JOSE documents: a strict RFC 8259 parser into a
// google.protobuf.Struct, plus typed member access.
//
// Strict means exactly the grammar of RFC 8259 §2-§7 and nothing more:
// double-quoted strings only, no comments, no trailing commas, no leading
// zeros or '+' signs, no NaN/Infinity, only the escapes of §7 (with \u
// surrogates in valid pairs), no raw control characters in strings, only
// space, tab, CR and LF as whitespace, no byte-order mark, nothing after the
// root. The input must be valid UTF-8 (§8.1). Beyond the grammar: member
// names must be unique in every object (RFC 7515 §4 lets a JOSE header
// "reject or use the last": we reject, everywhere); numbers must fit a
// double (1e400 is refused, not made infinite); nesting is limited to
// kMaxJsonDepth. JOSE headers are parsed before any signature check, so a
// lenient parser would give one header several spellings.
// The parse is one linear pass with recursion bounded by kMaxJsonDepth.

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
