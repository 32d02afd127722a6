#ifndef OAUTHD_TESTS_CLIENT_TEST_UTIL_H_
#define OAUTHD_TESTS_CLIENT_TEST_UTIL_H_

// Fakes for the client library's unit tests: a settable clock, an
// AuthorizationServer whose answers the test scripts, and locally minted
// access tokens.

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/lib/authorization_server.h"
#include "client/lib/clock.h"
#include "server/jose/jwt.h"
#include "server/jose/signing_key.h"

namespace oauthd::client::testing {

// A clock that moves only when told. Thread-safe.
class FakeClock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1'700'000'000)) : now_(start) {}
  absl::Time Now() const {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }
  void Set(absl::Time t) {
    absl::MutexLock lock(&mu_);
    now_ = t;
  }
  // A Clock reading this fake; the fake must outlive its users.
  Clock AsClock() const {
    return [this] { return Now(); };
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_;
};

// Answers from the std::function members (set them before use); counts calls.
class FakeAuthorizationServer : public AuthorizationServer {
 public:
  std::function<absl::StatusOr<oauth::v1::TokenResponse>(const oauth::v1::IssueTokenRequest&)>
      issue;
  std::function<absl::StatusOr<oauth::v1::GetJwksResponse>()> jwks;
  std::function<absl::StatusOr<oauth::v1::IntrospectResponse>(
      const oauth::v1::IntrospectRequest&)>
      introspect;

  std::atomic<int> issue_calls{0};
  std::atomic<int> jwks_calls{0};
  std::atomic<int> introspect_calls{0};

  absl::StatusOr<oauth::v1::TokenResponse> IssueToken(
      const oauth::v1::IssueTokenRequest& request) override {
    ++issue_calls;
    return issue(request);
  }
  absl::StatusOr<oauth::v1::GetJwksResponse> GetJwks() override {
    ++jwks_calls;
    return jwks();
  }
  absl::StatusOr<oauth::v1::IntrospectResponse> Introspect(
      const oauth::v1::IntrospectRequest& request) override {
    ++introspect_calls;
    return introspect(request);
  }
};

inline constexpr char kIssuer[] = "https://issuer.test";
inline constexpr char kAudience[] = "inventory";

// The GetJwks answer publishing `keys`.
oauth::v1::GetJwksResponse JwksOf(const std::vector<const jose::SigningKey*>& keys);

// Claims of a valid token issued at `now`, living 10 minutes, for kAudience,
// with scope "inventory.read inventory.write".
jose::AccessTokenClaims ValidClaims(absl::Time now);

// EncodeJwt(key, claims) or a test failure.
std::string Mint(const jose::SigningKey& key, const jose::AccessTokenClaims& claims);

}  // namespace oauthd::client::testing

#endif  // OAUTHD_TESTS_CLIENT_TEST_UTIL_H_
