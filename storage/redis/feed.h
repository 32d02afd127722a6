#ifndef OAUTHD_STORAGE_REDIS_FEED_H_
#define OAUTHD_STORAGE_REDIS_FEED_H_

// Internal to storage/redis: the revocation feed the store writes and the
// revocation view reads (revocation_view.h).
//
//   P revocations       Pub/Sub channel; message "<k> <expires_ms> <nbf_ms> <id>"
//   P rv:jti            zset: jti, scored by expiry (unix ms)
//   P rv:grant          zset: grant id, scored by expiry
//   P rv:owner          zset: "<k> <nbf_ms> <id>", scored by expiry
// where <k> is j (jti), g (grant), u (user subject) or c (client id). Ids
// never contain spaces (base64url, subjects, client ids). Ended entries are
// trimmed whenever one is added.

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "storage/revocation_store.h"

namespace oauthd::storage::redis_internal {

absl::string_view FeedIndexSuffix(RevocationEvent::Kind kind);
std::string FeedIndexMember(const RevocationEvent& event);
std::string FeedMessage(const RevocationEvent& event);

// nullopt for anything malformed.
std::optional<RevocationEvent> ParseFeedMessage(absl::string_view message);
// `suffix` says which index; `expires_ms` is the member's score.
std::optional<RevocationEvent> ParseFeedIndexMember(absl::string_view suffix,
                                                    absl::string_view member,
                                                    int64_t expires_ms);

}  // namespace oauthd::storage::redis_internal

#endif  // OAUTHD_STORAGE_REDIS_FEED_H_
