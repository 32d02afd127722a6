#include "server/core/signing_key_ring.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace oauthd {
namespace {

std::string Iso(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

}  // namespace

const char* SigningKeyStateName(SigningKeyStatus::State state) {
  switch (state) {
    case SigningKeyStatus::State::kSigning: return "signing";
    case SigningKeyStatus::State::kNext: return "next";
    case SigningKeyStatus::State::kPublished: return "published";
    case SigningKeyStatus::State::kRetiring: return "retiring";
  }
  return "published";
}

SigningKeyRing::SigningKeyRing(TokenIssuer& issuer, std::vector<LoadedSigningKey> initial,
                               absl::Duration publish_delay, absl::Duration removal_margin,
                               Clock clock)
    : issuer_(issuer),
      publish_delay_(publish_delay),
      removal_margin_(removal_margin),
      clock_(std::move(clock)) {
  const absl::Time now = clock_();
  absl::MutexLock lock(&mu_);
  for (LoadedSigningKey& k : initial) {
    if (Find(k.key->kid()) != nullptr) continue;
    entries_.push_back(Entry{std::move(k), now, true, std::nullopt, std::nullopt});
  }
  if (!entries_.empty()) {
    signer_ = desired_ = kid(entries_.front());
    entries_.front().signs_since = now;
  }
}

SigningKeyRing::Entry* SigningKeyRing::Find(absl::string_view kid) {
  for (Entry& e : entries_) {
    if (e.loaded.key->kid() == kid) return &e;
  }
  return nullptr;
}

absl::Time SigningKeyRing::RemovalTime(const Entry& e) const {
  const int64_t latest_exp = issuer_.LatestExpiry(kid(e));
  if (!e.signed_until.has_value() || latest_exp == 0) {
    // Never signed a token here: nothing to verify.
    return e.signed_until.value_or(absl::InfinitePast());
  }
  return absl::FromUnixSeconds(latest_exp) + removal_margin_;
}

std::vector<std::string> SigningKeyRing::Update(std::vector<LoadedSigningKey> keys) {
  std::vector<std::string> log;
  if (keys.empty()) return log;
  const absl::Time now = clock_();
  absl::MutexLock lock(&mu_);
  for (Entry& e : entries_) e.in_files = false;
  std::vector<Entry> ordered;
  for (LoadedSigningKey& k : keys) {
    const std::string id = k.key->kid();
    if (std::any_of(ordered.begin(), ordered.end(),
                    [&](const Entry& o) { return kid(o) == id; })) {
      continue;
    }
    if (Entry* existing = Find(id)) {
      existing->in_files = true;
      existing->loaded.source = k.source;
      ordered.push_back(*existing);
    } else {
      log.push_back(absl::StrCat("signing key ", id, " (", k.source, ") published",
                                 ordered.empty() && id != signer_
                                     ? absl::StrCat("; it signs from ",
                                                    Iso(now + publish_delay_),
                                                    " (--key_publish_delay)")
                                     : ""));
      ordered.push_back(Entry{std::move(k), now, true, std::nullopt, std::nullopt});
    }
  }
  for (Entry& e : entries_) {
    if (!e.in_files) {
      log.push_back(absl::StrCat("signing key ", kid(e), " is no longer in the key files",
                                 kid(e) == signer_ ? "; it signs until the next key may" : ""));
      ordered.push_back(std::move(e));
    }
  }
  entries_ = std::move(ordered);
  desired_ = kid(entries_.front());
  Step(now, log);
  Push(log);
  return log;
}

std::vector<std::string> SigningKeyRing::Tick() {
  std::vector<std::string> log;
  const absl::Time now = clock_();
  absl::MutexLock lock(&mu_);
  const size_t before = entries_.size();
  const std::string signer = signer_;
  Step(now, log);
  if (entries_.size() != before || signer != signer_) Push(log);
  return log;
}

void SigningKeyRing::Step(absl::Time now, std::vector<std::string>& log) {
  Entry* desired = Find(desired_);
  if (desired != nullptr && desired_ != signer_ &&
      now >= desired->published_since + publish_delay_) {
    if (Entry* old = Find(signer_)) old->signed_until = now;
    desired->signs_since = now;
    desired->signed_until.reset();
    log.push_back(absl::StrCat("signing key ", desired_, " signs from now on (was ", signer_,
                               ")"));
    signer_ = desired_;
  }
  std::erase_if(entries_, [&](const Entry& e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (e.in_files || kid(e) == signer_ || now < RemovalTime(e)) return false;
    log.push_back(absl::StrCat("signing key ", kid(e),
                               " unpublished: every token it signed has expired"));
    return true;
  });
}

void SigningKeyRing::Push(std::vector<std::string>& log) {
  std::vector<std::shared_ptr<const jose::SigningKey>> published;
  std::shared_ptr<const jose::SigningKey> signer;
  for (const Entry& e : entries_) {
    published.push_back(e.loaded.key);
    if (kid(e) == signer_) signer = e.loaded.key;
  }
  absl::Status set = issuer_.SetKeys(std::move(published), signer);
  if (!set.ok()) log.push_back(absl::StrCat("signing keys not changed: ", set.message()));
}

std::vector<SigningKeyStatus> SigningKeyRing::Status() const {
  absl::MutexLock lock(&mu_);
  std::vector<SigningKeyStatus> out;
  for (const Entry& e : entries_) {
    SigningKeyStatus s;
    s.kid = kid(e);
    s.alg = std::string(jose::AlgorithmName(e.loaded.key->alg()));
    s.source = e.loaded.source;
    s.published_since = e.published_since;
    if (e.signed_until) s.signed_until = *e.signed_until;
    if (s.kid == signer_) {
      s.state = SigningKeyStatus::State::kSigning;
      s.signs_since = e.signs_since.value_or(e.published_since);
    } else if (s.kid == desired_) {
      s.state = SigningKeyStatus::State::kNext;
      s.signs_from = e.published_since + publish_delay_;
    } else if (e.in_files) {
      s.state = SigningKeyStatus::State::kPublished;
    } else {
      s.state = SigningKeyStatus::State::kRetiring;
      s.published_until = RemovalTime(e);
    }
    out.push_back(std::move(s));
  }
  std::stable_sort(out.begin(), out.end(), [](const SigningKeyStatus& a, const SigningKeyStatus& b) {
    return a.state == SigningKeyStatus::State::kSigning &&
           b.state != SigningKeyStatus::State::kSigning;
  });
  return out;
}

}  // namespace oauthd
