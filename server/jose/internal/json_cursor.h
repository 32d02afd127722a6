#ifndef OAUTHD_SERVER_JOSE_INTERNAL_JSON_CURSOR_H_
#define OAUTHD_SERVER_JOSE_INTERNAL_JSON_CURSOR_H_

// A read position in JSON text (RFC 8259), shared by the strict reader
// (json_reader.cc) and the fast claims reader (jwt.cc), so that both read
// whitespace, literals and strings exactly the same way. Internal to
// server/jose.

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace oauthd::jose::internal {

class JsonCursor {
 public:
  explicit JsonCursor(absl::string_view json) : json_(json) {}

  // Skips RFC 8259 §2 whitespace: space, tab, LF and CR only.
  void SkipWhitespace();
  // After whitespace: consumes `c` if it is next.
  bool Consume(char c);
  // After whitespace: the next byte, or '\0' at the end.
  char Peek();
  // After whitespace: true at the end of the text.
  bool AtEnd();
  // After whitespace: consumes `word` (true, false, null) if it is next.
  bool Literal(absl::string_view word);
  // At '"': reads one string literal (RFC 8259 §7) into `*out`, replacing
  // it. Only the escapes of §7, \u surrogates in valid pairs (decoded to
  // UTF-8), no raw control characters. InvalidArgument "<problem> at offset
  // N" otherwise (the text itself is never quoted: it may be a token).
  absl::Status ReadString(std::string* out);

 protected:
  bool At(char c) const { return pos_ < json_.size() && json_[pos_] == c; }
  absl::Status Fail(absl::string_view what) const;

  absl::string_view json_;
  size_t pos_ = 0;
};

}  // namespace oauthd::jose::internal

#endif  // OAUTHD_SERVER_JOSE_INTERNAL_JSON_CURSOR_H_
