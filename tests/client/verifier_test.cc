// Verifier: every check and its typed error, leeway and clock skew on a fake
// clock, JWKS caching and rate-limited refetching, online mode.

#include "client/lib/verifier.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/jose/algorithm.h"
#include "server/jose/base64url.h"
#include "tests/client/test_util.h"
#include "tests/jose/test_keys.h"

namespace oauthd::client {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using jose::Algorithm;
using jose::testing::SignCompact;
using jose::testing::TestKey;
using testing::FakeAuthorizationServer;
using testing::FakeClock;
using testing::JwksOf;
using testing::Mint;
using testing::ValidClaims;

const jose::SigningKey& Key0() { return TestKey(Algorithm::kEs256, 0); }
const jose::SigningKey& Key1() { return TestKey(Algorithm::kEs256, 1); }

class VerifierTest : public ::testing::Test {
 protected:
  VerifierTest() : server_(std::make_shared<FakeAuthorizationServer>()) {
    published_ = {&Key0()};
    server_->jwks = [this]() -> absl::StatusOr<oauth::v1::GetJwksResponse> {
      absl::MutexLock lock(&mu_);
      if (!jwks_error_.ok()) return jwks_error_;
      return JwksOf(published_);
    };
    server_->introspect = [this](const oauth::v1::IntrospectRequest& request)
        -> absl::StatusOr<oauth::v1::IntrospectResponse> {
      absl::MutexLock lock(&mu_);
      EXPECT_EQ(request.client().client_id(), "resource-server");
      EXPECT_EQ(request.client().client_secret(), "rs-secret");
      if (!introspect_error_.ok()) return introspect_error_;
      oauth::v1::IntrospectResponse response;
      response.set_active(!absl::c_linear_search(revoked_, request.token()));
      return response;
    };
    options_.issuer = testing::kIssuer;
    options_.audience = testing::kAudience;
    options_.clock = clock_.AsClock();
  }

  std::shared_ptr<Verifier> Make() {
    absl::StatusOr<std::shared_ptr<Verifier>> verifier = Verifier::Create(server_, options_);
    EXPECT_TRUE(verifier.ok()) << verifier.status();
    return *verifier;
  }

  void Publish(std::vector<const jose::SigningKey*> keys) {
    absl::MutexLock lock(&mu_);
    published_ = std::move(keys);
  }
  void FailJwks(absl::Status status) {
    absl::MutexLock lock(&mu_);
    jwks_error_ = std::move(status);
  }
  void Revoke(const std::string& token) {
    absl::MutexLock lock(&mu_);
    revoked_.push_back(token);
  }
  void FailIntrospection(absl::Status status) {
    absl::MutexLock lock(&mu_);
    introspect_error_ = std::move(status);
  }

  std::string Token(const jose::SigningKey& key = Key0()) {
    return Mint(key, ValidClaims(clock_.Now()));
  }

  // The error code of verifying `token`, for compact expectations.
  VerifyErrorCode ErrorOf(Verifier& verifier, const std::string& token,
                          absl::Span<const absl::string_view> scopes = {}) {
    VerifyResult result = verifier.Verify(token, scopes);
    EXPECT_FALSE(result.ok());
    return result.ok() ? VerifyErrorCode::kMissingToken : result.error().code;
  }

  FakeClock clock_;
  std::shared_ptr<FakeAuthorizationServer> server_;
  VerifierOptions options_;
  absl::Mutex mu_;
  std::vector<const jose::SigningKey*> published_;
  absl::Status jwks_error_;
  absl::Status introspect_error_;
  std::vector<std::string> revoked_;
};

TEST_F(VerifierTest, CreateValidatesOptions) {
  VerifierOptions bad = options_;
  bad.issuer = "";
  EXPECT_TRUE(absl::IsInvalidArgument(Verifier::Create(server_, bad).status()));
  bad = options_;
  bad.audience = "";
  EXPECT_TRUE(absl::IsInvalidArgument(Verifier::Create(server_, bad).status()));
  bad = options_;
  bad.online = true;
  EXPECT_TRUE(absl::IsInvalidArgument(Verifier::Create(server_, bad).status()));
  bad = options_;
  bad.leeway = absl::Seconds(-1);
  EXPECT_TRUE(absl::IsInvalidArgument(Verifier::Create(server_, bad).status()));
  EXPECT_EQ(server_->jwks_calls, 0);
}

TEST_F(VerifierTest, ReturnsTypedClaims) {
  auto verifier = Make();
  jose::AccessTokenClaims claims = ValidClaims(clock_.Now());
  claims.aud = {"other", testing::kAudience};
  claims.nbf = claims.iat;
  claims.username = "alice@example.com";
  VerifyResult result = verifier->Verify(Mint(Key0(), claims));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->issuer, testing::kIssuer);
  EXPECT_EQ(result->subject, "alice");
  EXPECT_THAT(result->audience, ElementsAre("other", testing::kAudience));
  EXPECT_EQ(result->client_id, "billing");
  EXPECT_THAT(result->scopes, ElementsAre("inventory.read", "inventory.write"));
  EXPECT_TRUE(result->HasScope("inventory.read"));
  EXPECT_FALSE(result->HasScope("inventory"));
  EXPECT_EQ(result->token_id, claims.jti);
  EXPECT_EQ(result->username, "alice@example.com");
  EXPECT_EQ(result->issued_at, clock_.Now());
  EXPECT_EQ(result->expires_at, clock_.Now() + absl::Seconds(600));
  EXPECT_EQ(result->not_before, clock_.Now());
  EXPECT_TRUE(result.status().ok());
}

TEST_F(VerifierTest, VerifiesEveryAlgorithm) {
  const jose::SigningKey& rsa = TestKey(Algorithm::kRs256);
  const jose::SigningKey& ed = TestKey(Algorithm::kEdDsa);
  Publish({&Key0(), &rsa, &ed});
  auto verifier = Make();
  for (const jose::SigningKey* key : {&Key0(), &rsa, &ed}) {
    VerifyResult result = verifier->Verify(Token(*key));
    EXPECT_TRUE(result.ok()) << jose::AlgorithmName(key->alg()) << ": " << result.status();
  }
}

TEST_F(VerifierTest, TypedErrors) {
  auto verifier = Make();
  const absl::Time now = clock_.Now();
  EXPECT_EQ(ErrorOf(*verifier, ""), VerifyErrorCode::kMissingToken);
  EXPECT_EQ(ErrorOf(*verifier, "not-a-jwt"), VerifyErrorCode::kMalformed);
  EXPECT_EQ(ErrorOf(*verifier, "a.b.c"), VerifyErrorCode::kMalformed);

  std::string token = Token();
  std::string tampered = token;
  tampered[tampered.find('.') + 5] ^= 1;  // a payload byte
  EXPECT_EQ(ErrorOf(*verifier, tampered), VerifyErrorCode::kBadSignature);
  // Signed by a key that is not published, but claiming key 0's kid.
  const std::string header = jose::AccessTokenHeaderJson(Algorithm::kEs256, Key0().kid());
  const std::string payload =
      absl::StrCat(R"({"iss":"https://issuer.test","sub":"a","aud":"inventory","exp":)",
                   absl::ToUnixSeconds(now) + 60, R"(,"iat":)", absl::ToUnixSeconds(now),
                   R"(,"jti":"j","client_id":"c"})");
  EXPECT_EQ(ErrorOf(*verifier, SignCompact(Key1(), header, payload)),
            VerifyErrorCode::kBadSignature);
  // typ JWT (e.g. an ID token) instead of at+jwt.
  EXPECT_EQ(ErrorOf(*verifier,
                    SignCompact(Key0(),
                                absl::StrCat(R"({"alg":"ES256","typ":"JWT","kid":")",
                                             Key0().kid(), R"("})"),
                                payload)),
            VerifyErrorCode::kWrongType);
  // No jti.
  const std::string no_jti =
      absl::StrCat(R"({"iss":"https://issuer.test","sub":"a","aud":"inventory","exp":)",
                   absl::ToUnixSeconds(now) + 60, R"(,"iat":)", absl::ToUnixSeconds(now),
                   R"(,"client_id":"c"})");
  EXPECT_EQ(ErrorOf(*verifier, SignCompact(Key0(), header, no_jti)),
            VerifyErrorCode::kMissingClaim);

  jose::AccessTokenClaims claims = ValidClaims(now);
  claims.iss = "https://evil.test";
  EXPECT_EQ(ErrorOf(*verifier, Mint(Key0(), claims)), VerifyErrorCode::kWrongIssuer);
  claims = ValidClaims(now);
  claims.aud = {"billing"};
  EXPECT_EQ(ErrorOf(*verifier, Mint(Key0(), claims)), VerifyErrorCode::kWrongAudience);
  claims = ValidClaims(now);
  claims.scope = "inventory.read";
  EXPECT_EQ(ErrorOf(*verifier, Mint(Key0(), claims), {"inventory.write"}),
            VerifyErrorCode::kInsufficientScope);
  claims.scope = "";
  EXPECT_EQ(ErrorOf(*verifier, Mint(Key0(), claims), {"inventory.read"}),
            VerifyErrorCode::kInsufficientScope);
  claims = ValidClaims(now - absl::Hours(1));
  EXPECT_EQ(ErrorOf(*verifier, Mint(Key0(), claims)), VerifyErrorCode::kExpired);
  claims = ValidClaims(now);
  claims.nbf = absl::ToUnixSeconds(now + absl::Minutes(5));
  EXPECT_EQ(ErrorOf(*verifier, Mint(Key0(), claims)), VerifyErrorCode::kNotYetValid);
  claims = ValidClaims(now + absl::Minutes(5));
  EXPECT_EQ(ErrorOf(*verifier, Mint(Key0(), claims)), VerifyErrorCode::kNotYetValid);
}

// ECDSA malleability: (R, n - S) verifies wherever (R, S) does, so one token
// would have two strings with one jti. The verifier accepts only low S.
TEST_F(VerifierTest, HighSTwinOfEs256TokenIsABadSignature) {
  auto verifier = Make();
  for (int i = 0; i < 32; ++i) {
    jose::AccessTokenClaims claims = ValidClaims(clock_.Now());
    claims.jti = absl::StrCat("jti-", i);
    const std::string token = Mint(Key0(), claims);
    ASSERT_TRUE(verifier->Verify(token).ok());
    EXPECT_EQ(ErrorOf(*verifier, jose::testing::EcdsaHighSTwin(token)),
              VerifyErrorCode::kBadSignature)
        << "token " << i;
  }
}

TEST_F(VerifierTest, ErrorsMapToStatusesAndBearerCodes) {
  auto verifier = Make();
  VerifyResult expired = verifier->Verify(Mint(Key0(), ValidClaims(clock_.Now() - absl::Hours(1))));
  ASSERT_FALSE(expired.ok());
  EXPECT_TRUE(absl::IsUnauthenticated(expired.status()));
  EXPECT_THAT(std::string(expired.status().message()), HasSubstr("expired: "));
  EXPECT_EQ(expired.error().BearerErrorCode(), "invalid_token");

  VerifyResult scope = verifier->Verify(Token(), {"admin"});
  ASSERT_FALSE(scope.ok());
  EXPECT_TRUE(absl::IsPermissionDenied(scope.status()));
  EXPECT_EQ(scope.error().BearerErrorCode(), "insufficient_scope");
  EXPECT_THAT(scope.error().message, HasSubstr("admin"));

  EXPECT_EQ((VerifyError{VerifyErrorCode::kMissingToken, ""}.BearerErrorCode()),
            "invalid_request");
  EXPECT_TRUE(absl::IsUnavailable((VerifyError{VerifyErrorCode::kUnavailable, ""}.ToStatus())));
  // Messages never echo the token.
  const std::string token = Token();
  VerifyResult wrong = Make()->Verify(token, {"nope"});
  EXPECT_FALSE(absl::StrContains(wrong.error().message, token.substr(token.rfind('.') + 1)));
}

TEST_F(VerifierTest, RequiredScopesFromOptionsAndCall) {
  options_.required_scopes = {"inventory.read"};
  auto verifier = Make();
  EXPECT_TRUE(verifier->Verify(Token()).ok());
  EXPECT_TRUE(verifier->Verify(Token(), {"inventory.write"}).ok());
  jose::AccessTokenClaims claims = ValidClaims(clock_.Now());
  claims.scope = "inventory.write";
  EXPECT_EQ(ErrorOf(*verifier, Mint(Key0(), claims)), VerifyErrorCode::kInsufficientScope);
}

// The resource server's clock and oauthd's disagree by less than the leeway.
TEST_F(VerifierTest, ClockSkewWithinLeewayIsTolerated) {
  options_.leeway = absl::Seconds(30);
  auto verifier = Make();
  const absl::Time issued = clock_.Now();
  const std::string token = Token();  // exp = issued + 600 s

  // Our clock is behind the issuer's: the token looks issued in the future.
  clock_.Set(issued - absl::Seconds(29));
  EXPECT_TRUE(verifier->Verify(token).ok());
  clock_.Set(issued - absl::Seconds(31));
  EXPECT_EQ(ErrorOf(*verifier, token), VerifyErrorCode::kNotYetValid);

  // Our clock is ahead: the token looks expired early.
  clock_.Set(issued + absl::Seconds(600 + 29));
  EXPECT_TRUE(verifier->Verify(token).ok());
  clock_.Set(issued + absl::Seconds(600 + 30));
  EXPECT_EQ(ErrorOf(*verifier, token), VerifyErrorCode::kExpired);
}

TEST_F(VerifierTest, ZeroLeewayIsExact) {
  options_.leeway = absl::ZeroDuration();
  auto verifier = Make();
  const absl::Time issued = clock_.Now();
  const std::string token = Token();
  clock_.Set(issued + absl::Seconds(600) - absl::Nanoseconds(1));
  EXPECT_TRUE(verifier->Verify(token).ok());
  clock_.Set(issued + absl::Seconds(600));
  EXPECT_EQ(ErrorOf(*verifier, token), VerifyErrorCode::kExpired);
  clock_.Set(issued - absl::Seconds(1));
  EXPECT_EQ(ErrorOf(*verifier, token), VerifyErrorCode::kNotYetValid);
}

TEST_F(VerifierTest, KeysAreFetchedOnceAndCached) {
  auto verifier = Make();
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(verifier->Verify(Token()).ok());
  EXPECT_EQ(server_->jwks_calls, 1);
  EXPECT_EQ(verifier->stats().jwks_fetches, 1);
}

TEST_F(VerifierTest, ConcurrentFirstUseFetchesKeysOnce) {
  absl::Notification release;
  auto jwks = server_->jwks;
  server_->jwks = [&]() {
    release.WaitForNotification();
    return jwks();
  };
  auto verifier = Make();
  const std::string token = Token();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&] { ok += verifier->Verify(token).ok(); });
  }
  absl::SleepFor(absl::Milliseconds(50));  // let them pile up (not required for correctness)
  release.Notify();
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok, 20);
  EXPECT_EQ(server_->jwks_calls, 1);
}

TEST_F(VerifierTest, UnknownKidRefetchesKeys) {
  auto verifier = Make();
  ASSERT_TRUE(verifier->Verify(Token()).ok());
  // oauthd rotates: key 1 now signs and both are published.
  Publish({&Key1(), &Key0()});
  clock_.Advance(absl::Seconds(10));
  VerifyResult result = verifier->Verify(Token(Key1()));
  EXPECT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(server_->jwks_calls, 2);
  EXPECT_TRUE(verifier->Verify(Token(Key0())).ok());
  EXPECT_EQ(server_->jwks_calls, 2);
}

TEST_F(VerifierTest, UnknownKidRefetchIsRateLimited) {
  auto verifier = Make();
  ASSERT_TRUE(verifier->Verify(Token()).ok());
  EXPECT_EQ(server_->jwks_calls, 1);
  // Tokens naming a key oauthd does not publish.
  const std::string forged = Token(Key1());
  for (int i = 0; i < 50; ++i) EXPECT_EQ(ErrorOf(*verifier, forged), VerifyErrorCode::kUnknownKey);
  EXPECT_EQ(server_->jwks_calls, 1);  // the last fetch was less than 10 s ago
  clock_.Advance(absl::Seconds(10));
  for (int i = 0; i < 50; ++i) EXPECT_EQ(ErrorOf(*verifier, forged), VerifyErrorCode::kUnknownKey);
  EXPECT_EQ(server_->jwks_calls, 2);  // one refetch per interval
  clock_.Advance(absl::Seconds(10));
  EXPECT_EQ(ErrorOf(*verifier, forged), VerifyErrorCode::kUnknownKey);
  EXPECT_EQ(server_->jwks_calls, 3);
  // Valid tokens are unaffected throughout.
  EXPECT_TRUE(verifier->Verify(Token()).ok());
}

TEST_F(VerifierTest, RotatedOutKeyIsRejectedAfterRefresh) {
  auto verifier = Make();
  const std::string old_token = Token(Key0());
  ASSERT_TRUE(verifier->Verify(old_token).ok());
  Publish({&Key1()});
  clock_.Advance(absl::Minutes(15));  // jwks_max_age
  EXPECT_EQ(ErrorOf(*verifier, Token(Key0())), VerifyErrorCode::kUnknownKey);
  EXPECT_EQ(server_->jwks_calls, 2);
  EXPECT_TRUE(verifier->Verify(Token(Key1())).ok());
}

TEST_F(VerifierTest, StaleKeysAreRefreshedAndKeptWhenRefreshFails) {
  auto verifier = Make();
  ASSERT_TRUE(verifier->Verify(Token()).ok());
  clock_.Advance(absl::Minutes(14));
  ASSERT_TRUE(verifier->Verify(Token()).ok());
  EXPECT_EQ(server_->jwks_calls, 1);
  FailJwks(absl::UnavailableError("oauthd down"));
  clock_.Advance(absl::Minutes(2));
  EXPECT_TRUE(verifier->Verify(Token()).ok());  // refresh failed, old keys kept
  EXPECT_EQ(server_->jwks_calls, 2);
  EXPECT_TRUE(verifier->Verify(Token()).ok());  // and not retried on every call
  EXPECT_EQ(server_->jwks_calls, 2);
  FailJwks(absl::OkStatus());
  clock_.Advance(absl::Seconds(10));
  EXPECT_TRUE(verifier->Verify(Token()).ok());
  EXPECT_EQ(server_->jwks_calls, 3);
  EXPECT_EQ(verifier->stats().jwks_fetch_failures, 1);
}

TEST_F(VerifierTest, NoKeysMeansUnavailableWithBackoff) {
  FailJwks(absl::UnavailableError("oauthd down"));
  auto verifier = Make();
  const std::string token = Token();
  VerifyResult result = verifier->Verify(token);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, VerifyErrorCode::kUnavailable);
  EXPECT_TRUE(absl::IsUnavailable(result.status()));
  EXPECT_THAT(result.error().message, HasSubstr("oauthd down"));
  EXPECT_EQ(ErrorOf(*verifier, token), VerifyErrorCode::kUnavailable);
  EXPECT_EQ(server_->jwks_calls, 1);
  FailJwks(absl::OkStatus());
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(verifier->Verify(token).ok());
  EXPECT_EQ(server_->jwks_calls, 2);
}

TEST_F(VerifierTest, RefreshKeysReportsProblems) {
  auto verifier = Make();
  EXPECT_TRUE(verifier->RefreshKeys().ok());
  EXPECT_EQ(server_->jwks_calls, 1);
  server_->jwks = [] { return absl::StatusOr<oauth::v1::GetJwksResponse>(
                           oauth::v1::GetJwksResponse()); };
  EXPECT_TRUE(absl::IsInvalidArgument(verifier->RefreshKeys()));
  EXPECT_TRUE(verifier->Verify(Token()).ok());  // previous keys kept
}

TEST_F(VerifierTest, OnlineModeRejectsRevokedTokens) {
  options_.online = true;
  options_.introspection_client_id = "resource-server";
  options_.introspection_client_secret = "rs-secret";
  options_.introspection_cache_ttl = absl::Seconds(5);
  auto verifier = Make();
  const std::string token = Token();
  ASSERT_TRUE(verifier->Verify(token).ok());
  ASSERT_TRUE(verifier->Verify(token).ok());
  EXPECT_EQ(server_->introspect_calls, 1);  // cached
  EXPECT_EQ(verifier->stats().introspection_cache_hits, 1);

  Revoke(token);
  clock_.Advance(absl::Seconds(4));
  EXPECT_TRUE(verifier->Verify(token).ok());  // still within the cache TTL
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(ErrorOf(*verifier, token), VerifyErrorCode::kInactive);
  EXPECT_EQ(server_->introspect_calls, 2);
  // "Inactive" is remembered until the token expires.
  clock_.Advance(absl::Minutes(5));
  EXPECT_EQ(ErrorOf(*verifier, token), VerifyErrorCode::kInactive);
  EXPECT_EQ(server_->introspect_calls, 2);

  // Local checks still come first: no introspection for a bad token.
  EXPECT_EQ(ErrorOf(*verifier, "x.y.z"), VerifyErrorCode::kMalformed);
  EXPECT_EQ(server_->introspect_calls, 2);
}

TEST_F(VerifierTest, OnlineModeFailsClosed) {
  options_.online = true;
  options_.introspection_client_id = "resource-server";
  options_.introspection_client_secret = "rs-secret";
  auto verifier = Make();
  FailIntrospection(absl::UnavailableError("oauthd down"));
  EXPECT_EQ(ErrorOf(*verifier, Token()), VerifyErrorCode::kUnavailable);
}

TEST_F(VerifierTest, IntrospectionCacheIsBounded) {
  options_.online = true;
  options_.introspection_client_id = "resource-server";
  options_.introspection_client_secret = "rs-secret";
  options_.introspection_cache_size = 3;
  auto verifier = Make();
  std::vector<std::string> tokens;
  for (int i = 0; i < 10; ++i) tokens.push_back(Token());
  for (const std::string& token : tokens) ASSERT_TRUE(verifier->Verify(token).ok());
  EXPECT_EQ(server_->introspect_calls, 10);
  ASSERT_TRUE(verifier->Verify(tokens.back()).ok());
  EXPECT_EQ(server_->introspect_calls, 10);  // the newest is cached
}

}  // namespace
}  // namespace oauthd::client
