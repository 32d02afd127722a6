#ifndef OAUTHD_SERVER_CORE_SIGNING_KEY_RING_H_
#define OAUTHD_SERVER_CORE_SIGNING_KEY_RING_H_

// When each signing key is published, signs, and leaves the JWKS, as the key
// files change while oauthd runs (docs/operations.md#rotate-signing-keys):
//
// - A key that appears in the files is published (JWKS) at once and signs
//   only when it is the first key and has been published for
//   `publish_delay`, so that resource servers have fetched it before they
//   meet a token it signed. Until then the previous key keeps signing, even
//   when its file is gone.
// - A key that left the files stays published until every token it signed
//   has expired (the latest `exp` it signed, TokenIssuer::LatestExpiry) plus
//   `removal_margin` for verifiers' clock skew. A key that never signed
//   leaves at once.
// - The keys given at construction (the start of the process) are published
//   and the first signs at once: nothing can have cached an older JWKS of
//   this process.
//
// The decisions are pure: Update and Tick act at the clock's time, and push
// the result into the TokenIssuer. Reading the files is key_file_watcher's
// job. Thread-safe.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/core/clock.h"
#include "server/core/token_issuer.h"
#include "server/jose/signing_key.h"

namespace oauthd {

struct LoadedSigningKey {
  std::shared_ptr<const jose::SigningKey> key;
  std::string source;  // the file it came from
};

// One key as `oauthctl keys status` shows it.
struct SigningKeyStatus {
  enum class State {
    kSigning,    // signs new tokens
    kNext,       // first in the files, published, signs from `signs_from`
    kPublished,  // in the files, not first: published, does not sign
    kRetiring,   // no longer in the files: published until `published_until`
  };
  std::string kid;
  std::string alg;
  std::string source;
  State state = State::kPublished;
  absl::Time published_since;
  absl::Time signs_since = absl::InfinitePast();      // kSigning
  absl::Time signs_from = absl::InfiniteFuture();     // kNext
  absl::Time signed_until = absl::InfinitePast();     // stopped signing then (if it did)
  absl::Time published_until = absl::InfiniteFuture();  // kRetiring
};

// "signing", "next", "published", "retiring".
const char* SigningKeyStateName(SigningKeyStatus::State state);

class SigningKeyRing {
 public:
  // `initial` must be what `issuer` was built with (the first signs).
  SigningKeyRing(TokenIssuer& issuer, std::vector<LoadedSigningKey> initial,
                 absl::Duration publish_delay, absl::Duration removal_margin, Clock clock);

  // The key files now hold `keys` (in --signing_keys order; not empty). Keys
  // are told apart by kid, so rewriting a file with the same key changes
  // nothing. Returns one line per change, for the log.
  std::vector<std::string> Update(std::vector<LoadedSigningKey> keys);

  // Starts the next key signing when its delay has passed, drops retired
  // keys whose tokens have expired. Call about once a second. Returns one
  // line per change.
  std::vector<std::string> Tick();

  // Every published key, the signing one first.
  std::vector<SigningKeyStatus> Status() const;

  absl::Duration publish_delay() const { return publish_delay_; }

 private:
  struct Entry {
    LoadedSigningKey loaded;
    absl::Time published_since;
    bool in_files = true;
    std::optional<absl::Time> signs_since;   // while or when it last began signing
    std::optional<absl::Time> signed_until;  // when it last stopped signing
  };

  const std::string& kid(const Entry& e) const { return e.loaded.key->kid(); }
  Entry* Find(absl::string_view kid) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Time RemovalTime(const Entry& e) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Step(absl::Time now, std::vector<std::string>& log) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Push(std::vector<std::string>& log) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  TokenIssuer& issuer_;
  const absl::Duration publish_delay_;
  const absl::Duration removal_margin_;
  const Clock clock_;
  mutable absl::Mutex mu_;
  std::vector<Entry> entries_ ABSL_GUARDED_BY(mu_);  // files' order, then retiring
  std::string signer_ ABSL_GUARDED_BY(mu_);   // kid
  std::string desired_ ABSL_GUARDED_BY(mu_);  // kid of the first key in the files
};

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_SIGNING_KEY_RING_H_
