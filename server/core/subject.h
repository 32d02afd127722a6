#ifndef OAUTHD_SERVER_CORE_SUBJECT_H_
#define OAUTHD_SERVER_CORE_SUBJECT_H_

// The two kinds of `sub` oauthd issues have disjoint forms (RFC 9700 §4.15):
// a user's subject is "u_" followed by 128 random bits in base64url; a
// client_credentials token's `sub` is its client id (RFC 9068 §2.2), and no
// client id may begin with "u_". A resource server can therefore never take
// a client for a user.

#include <string>

#include "absl/strings/string_view.h"

namespace oauthd {

// A new user subject. Thread-safe.
std::string NewUserSubject();

// True when `id` begins with "u_", the form reserved for user subjects.
bool IsUserSubjectForm(absl::string_view id);

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_SUBJECT_H_
