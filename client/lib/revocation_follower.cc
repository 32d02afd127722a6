#include "client/lib/revocation_follower.h"

#include <chrono>

#include "client/lib/verifier.h"
#include "server/jose/base64url.h"

namespace oauthd::client {
namespace {

int64_t SteadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The instant of a timed id (oauthd's jtis and grant ids), or nullopt.
std::optional<int64_t> TimedIdInstantMs(absl::string_view id) {
  std::string raw;
  if (id.size() != 22 || !jose::Base64UrlDecodeTo(id, &raw) || raw.size() != 16) {
    return std::nullopt;
  }
  int64_t ms = 0;
  for (int i = 0; i < 6; ++i) ms = (ms << 8) | static_cast<unsigned char>(raw[i]);
  return ms;
}

bool AtOrBefore(int64_t instant_ms, int64_t not_before_ms) {
  return not_before_ms > 0 && instant_ms <= not_before_ms;
}

}  // namespace

RevocationFollower::RevocationFollower(std::shared_ptr<AuthorizationServer> server,
                                       std::string client_id, std::string client_secret,
                                       absl::Duration max_staleness)
    : server_(std::move(server)),
      client_id_(std::move(client_id)),
      client_secret_(std::move(client_secret)),
      max_staleness_(max_staleness) {
  thread_ = std::thread([this] { Run(); });
}

RevocationFollower::~RevocationFollower() {
  stopping_.store(true);
  {
    absl::MutexLock lock(&stream_mu_);
    if (stream_ != nullptr) stream_->Cancel();
  }
  thread_.join();
}

bool RevocationFollower::Fresh() const {
  const int64_t heard = last_heard_ns_.load();
  return synced_.load() && heard > 0 &&
         SteadyNs() - heard <= absl::ToInt64Nanoseconds(max_staleness_);
}

void RevocationFollower::Run() {
  oauth::v1::WatchRevocationsRequest request;
  request.mutable_client()->set_client_id(client_id_);
  request.mutable_client()->set_client_secret(client_secret_);
  while (!stopping_.load()) {
    absl::StatusOr<std::unique_ptr<AuthorizationServer::RevocationStream>> stream =
        server_->WatchRevocations(request);
    if (stream.ok()) {
      {
        absl::MutexLock lock(&stream_mu_);
        stream_ = stream->get();
        if (stopping_.load()) stream_->Cancel();
      }
      oauth::v1::RevocationUpdate update;
      while ((*stream)->Next(&update)) {
        last_heard_ns_.store(SteadyNs());
        if (update.synced()) synced_.store(true);
        if (update.kind() != oauth::v1::RevocationUpdate::KIND_UNSPECIFIED) Apply(update);
      }
      synced_.store(false);  // the next stream starts with a fresh snapshot
      {
        absl::MutexLock lock(&stream_mu_);
        stream_ = nullptr;
      }
      (void)(*stream)->Finish();
    }
    for (int i = 0; i < 5 && !stopping_.load(); ++i) absl::SleepFor(absl::Milliseconds(100));
  }
}

void RevocationFollower::Apply(const oauth::v1::RevocationUpdate& u) {
  absl::MutexLock lock(&mu_);
  switch (u.kind()) {
    case oauth::v1::RevocationUpdate::JTI:
    case oauth::v1::RevocationUpdate::GRANT: {
      int64_t& expires = (u.kind() == oauth::v1::RevocationUpdate::JTI ? jtis_ : grants_)[u.id()];
      expires = std::max(expires, u.expires_ms());
      break;
    }
    case oauth::v1::RevocationUpdate::USER:
    case oauth::v1::RevocationUpdate::CLIENT: {
      Owner& o = (u.kind() == oauth::v1::RevocationUpdate::USER ? users_ : clients_)[u.id()];
      o.not_before_ms = std::max(o.not_before_ms, u.not_before_ms());
      o.expires_ms = std::max(o.expires_ms, u.expires_ms());
      break;
    }
    default:
      return;
  }
  // Entries end with the tokens they concern: drop ended ones now and then.
  if ((jtis_.size() + grants_.size()) % 1024 == 0) {
    const int64_t now = absl::ToUnixMillis(absl::Now());
    absl::erase_if(jtis_, [now](const auto& kv) { return kv.second <= now; });
    absl::erase_if(grants_, [now](const auto& kv) { return kv.second <= now; });
  }
}

absl::StatusOr<bool> RevocationFollower::Revoked(const AccessToken& token) const {
  if (!Fresh()) {
    return absl::UnavailableError("not synchronised with oauthd's revocation feed");
  }
  const int64_t now = absl::ToUnixMillis(absl::Now());
  const int64_t issued_ms = [&] {
    std::optional<int64_t> ms = TimedIdInstantMs(token.token_id);
    const int64_t iat = absl::ToUnixSeconds(token.issued_at);
    return ms && *ms / 1000 == iat ? *ms : iat * 1000;
  }();
  absl::ReaderMutexLock lock(&mu_);
  auto live = [now](const absl::flat_hash_map<std::string, int64_t>& map,
                    const std::string& id) {
    auto it = map.find(id);
    return it != map.end() && it->second > now;
  };
  auto owner = [now](const absl::flat_hash_map<std::string, Owner>& map,
                     const std::string& id) -> int64_t {
    auto it = map.find(id);
    return it != map.end() && it->second.expires_ms > now ? it->second.not_before_ms : 0;
  };
  if (live(jtis_, token.token_id)) return true;
  const int64_t client_nbf = owner(clients_, token.client_id);
  if (token.grant_id.empty()) return AtOrBefore(issued_ms, client_nbf);
  if (live(grants_, token.grant_id)) return true;
  int64_t granted_ms = TimedIdInstantMs(token.grant_id).value_or(0);
  if (granted_ms > issued_ms) granted_ms = 0;  // not a timed id: "long ago"
  return AtOrBefore(granted_ms, owner(users_, token.subject)) ||
         AtOrBefore(granted_ms, client_nbf);
}

}  // namespace oauthd::client
