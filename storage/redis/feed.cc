#include "storage/redis/feed.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace oauthd::storage::redis_internal {
namespace {

using Kind = RevocationEvent::Kind;

char Letter(Kind kind) {
  switch (kind) {
    case Kind::kJti: return 'j';
    case Kind::kGrant: return 'g';
    case Kind::kUser: return 'u';
    case Kind::kClient: return 'c';
  }
  return '?';
}

std::optional<Kind> FromLetter(absl::string_view s) {
  if (s == "j") return Kind::kJti;
  if (s == "g") return Kind::kGrant;
  if (s == "u") return Kind::kUser;
  if (s == "c") return Kind::kClient;
  return std::nullopt;
}

}  // namespace

absl::string_view FeedIndexSuffix(Kind kind) {
  switch (kind) {
    case Kind::kJti: return "rv:jti";
    case Kind::kGrant: return "rv:grant";
    default: return "rv:owner";
  }
}

std::string FeedIndexMember(const RevocationEvent& e) {
  if (e.kind == Kind::kJti || e.kind == Kind::kGrant) return e.id;
  return absl::StrCat(std::string(1, Letter(e.kind)), " ", e.not_before_ms, " ", e.id);
}

std::string FeedMessage(const RevocationEvent& e) {
  return absl::StrCat(std::string(1, Letter(e.kind)), " ", e.expires_ms, " ", e.not_before_ms,
                      " ", e.id);
}

std::optional<RevocationEvent> ParseFeedMessage(absl::string_view message) {
  std::vector<absl::string_view> parts = absl::StrSplit(message, absl::MaxSplits(' ', 3));
  if (parts.size() != 4 || parts[3].empty()) return std::nullopt;
  std::optional<Kind> kind = FromLetter(parts[0]);
  RevocationEvent e;
  if (!kind || !absl::SimpleAtoi(parts[1], &e.expires_ms) ||
      !absl::SimpleAtoi(parts[2], &e.not_before_ms)) {
    return std::nullopt;
  }
  e.kind = *kind;
  e.id = std::string(parts[3]);
  return e;
}

std::optional<RevocationEvent> ParseFeedIndexMember(absl::string_view suffix,
                                                    absl::string_view member,
                                                    int64_t expires_ms) {
  if (member.empty()) return std::nullopt;
  RevocationEvent e;
  e.expires_ms = expires_ms;
  if (suffix == FeedIndexSuffix(Kind::kJti) || suffix == FeedIndexSuffix(Kind::kGrant)) {
    e.kind = suffix == FeedIndexSuffix(Kind::kJti) ? Kind::kJti : Kind::kGrant;
    e.id = std::string(member);
    return e;
  }
  std::vector<absl::string_view> parts = absl::StrSplit(member, absl::MaxSplits(' ', 2));
  std::optional<Kind> kind = parts.size() == 3 ? FromLetter(parts[0]) : std::nullopt;
  if (!kind || (*kind != Kind::kUser && *kind != Kind::kClient) || parts[2].empty() ||
      !absl::SimpleAtoi(parts[1], &e.not_before_ms)) {
    return std::nullopt;
  }
  e.kind = *kind;
  e.id = std::string(parts[2]);
  return e;
}

}  // namespace oauthd::storage::redis_internal
