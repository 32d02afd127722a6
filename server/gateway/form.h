#ifndef OAUTHD_SERVER_GATEWAY_FORM_H_
#define OAUTHD_SERVER_GATEWAY_FORM_H_

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace oauthd::gateway {

// Decodes one application/x-www-form-urlencoded component (WHATWG URL
// "application/x-www-form-urlencoded parser"; RFC 6749 Appendix B): '+'
// becomes a space and "%XY" the byte 0xXY. Fails with InvalidArgument on a
// '%' not followed by two hex digits. The result is raw bytes: check it with
// IsValidUtf8 before use.
absl::StatusOr<std::string> FormUrlDecode(absl::string_view encoded);

// Percent-encodes `value` for a URL query or a form body: every byte except
// the RFC 3986 unreserved characters (ALPHA DIGIT - . _ ~) becomes "%XY"
// (upper-case hex). A space becomes "%20", which both form and query parsers
// read as a space.
std::string UrlEncode(absl::string_view value);

// True when `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF) and holds no U+0000.
bool IsValidUtf8(absl::string_view text);

// The parameters of an application/x-www-form-urlencoded body or of a URL
// query, parsed the way RFC 6749 asks:
//  - a parameter sent without a value is treated as omitted (§3.1, §3.2);
//  - a parameter may appear at most once (§3.1, §3.2), except the names the
//    caller declares repeatable (RFC 8707 `resource`);
//  - names and values must be valid UTF-8 after decoding (Appendix B).
// Unknown parameters are kept; callers ignore what they do not read.
//
// Example:
//   auto form = FormParameters::Parse("grant_type=client_credentials&scope=a+b",
//                                     {"resource"});
//   form->Get("scope");  // "a b"
class FormParameters {
 public:
  // Parses `encoded` ("a=1&b=2"; empty pairs such as "&&" are skipped). Fails
  // with InvalidArgument and a client-facing message that names the offending
  // parameter on malformed percent-encoding, invalid UTF-8 or a repeated
  // parameter whose name is not in `repeatable`.
  static absl::StatusOr<FormParameters> Parse(
      absl::string_view encoded, std::initializer_list<absl::string_view> repeatable = {});

  // The value of `name`, or "" when absent (or sent empty). For a repeatable
  // name, the first value.
  const std::string& Get(absl::string_view name) const;
  // True when `name` was sent with a non-empty value.
  bool Has(absl::string_view name) const;
  // Every value of `name` in request order.
  std::vector<std::string> GetAll(absl::string_view name) const;
  // All parameters in request order.
  const std::vector<std::pair<std::string, std::string>>& pairs() const { return pairs_; }

 private:
  std::vector<std::pair<std::string, std::string>> pairs_;
};

}  // namespace oauthd::gateway

#endif  // OAUTHD_SERVER_GATEWAY_FORM_H_
