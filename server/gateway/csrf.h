#ifndef OAUTHD_SERVER_GATEWAY_CSRF_H_
#define OAUTHD_SERVER_GATEWAY_CSRF_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace oauthd::gateway {

// Protects the login and consent form of /authorize against cross-site
// request forgery with two bindings:
//  - double submit: the browser holds a random nonce in a cookie that other
//    sites cannot read or set for our origin (SameSite=Strict, HttpOnly); the
//    token in the form is bound to that nonce;
//  - form binding: the token is an HMAC-SHA-256 over the nonce, the issue time
//    and every hidden field of the form, so a posted form whose authorization
//    request was altered is rejected.
// Tokens expire after `lifetime`.
//
// Thread-safe: all methods are const.
class CsrfProtector {
 public:
  using Fields = std::vector<std::pair<std::string, std::string>>;

  // `key` is the HMAC key; at least 32 bytes. Replicas behind one load
  // balancer must share it.
  CsrfProtector(std::string key, absl::Duration lifetime);

  // A protector with 32 random bytes as key (valid for this process only).
  static CsrfProtector WithRandomKey(absl::Duration lifetime);

  // The protector for a --csrf_key_file setting: the key is the file's
  // content without surrounding whitespace; an empty `path` gives
  // WithRandomKey. Errors (InvalidArgument, one line naming `flag`): the
  // file cannot be read, the key is shorter than 32 bytes.
  static absl::StatusOr<CsrfProtector> FromKeyFile(absl::string_view flag,
                                                   const std::string& path,
                                                   absl::Duration lifetime);

  // A fresh cookie nonce: 256 random bits, base64url without padding.
  static std::string NewNonce();
  // True when `nonce` has the shape NewNonce produces (43 base64url chars).
  static bool IsWellFormedNonce(absl::string_view nonce);

  // The token for a form carrying `fields`, bound to `nonce`: "<unix
  // seconds>.<base64url HMAC>".
  std::string Issue(absl::string_view nonce, const Fields& fields, absl::Time now) const;

  // True when `token` was issued by a protector with this key for exactly
  // this nonce and these fields (same order), and is not expired at `now`.
  // Comparison is constant-time.
  bool Verify(absl::string_view token, absl::string_view nonce, const Fields& fields,
              absl::Time now) const;

  // How long a token stays valid (also the cookie's Max-Age).
  absl::Duration lifetime() const { return lifetime_; }

 private:
  std::string Mac(int64_t issued, absl::string_view nonce, const Fields& fields) const;

  std::string key_;
  absl::Duration lifetime_;
};

}  // namespace oauthd::gateway

#endif  // OAUTHD_SERVER_GATEWAY_CSRF_H_
