#include "server/core/subject.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/core/random.h"

namespace oauthd {

namespace {
constexpr absl::string_view kUserSubjectPrefix = "u_";
}  // namespace

std::string NewUserSubject() { return absl::StrCat(kUserSubjectPrefix, RandomToken(16)); }

bool IsUserSubjectForm(absl::string_view id) {
  return absl::StartsWith(id, kUserSubjectPrefix);
}

}  // namespace oauthd
