// The verified-token cache on its own, and through TokenIssuer::Verify: a
// token seen before must still expire on time for every caller's leeway.

#include "server/core/verified_token_cache.h"

#include <gtest/gtest.h>

#include <atomic>

#include "absl/strings/str_cat.h"
#include "server/jose/key_generation.h"
#include "server/jose/signing_key.h"

namespace oauthd {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1800000000);

AccessTokenInfo InfoExpiringIn(absl::Duration ttl) {
  AccessTokenInfo info;
  info.iat = absl::ToUnixSeconds(kNow);
  info.nbf = info.iat;
  info.exp = absl::ToUnixSeconds(kNow + ttl);
  info.sub = "u_alice";
  info.jti = "jti-1";
  return info;
}

TEST(VerifiedTokenCache, FindsWhatWasInsertedWhileItsTimeHolds) {
  VerifiedTokenCache cache(100);
  EXPECT_FALSE(cache.Find("t1", kNow, absl::ZeroDuration()));
  cache.Insert("t1", InfoExpiringIn(absl::Minutes(10)), kNow);
  std::optional<AccessTokenInfo> hit = cache.Find("t1", kNow, absl::ZeroDuration());
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->sub, "u_alice");
  EXPECT_FALSE(cache.Find("t2", kNow, absl::ZeroDuration()));
  // exp is exclusive: at exp the token is dead without leeway...
  EXPECT_FALSE(cache.Find("t1", kNow + absl::Minutes(10), absl::ZeroDuration()));
  // ...and alive for a caller that tolerates 5 s of skew, until exp + 5 s.
  EXPECT_TRUE(cache.Find("t1", kNow + absl::Minutes(10), absl::Seconds(5)));
  EXPECT_FALSE(cache.Find("t1", kNow + absl::Minutes(10) + absl::Seconds(5), absl::Seconds(5)));
}

TEST(VerifiedTokenCache, NotBeforeAndIssuedAtAreCheckedOnEveryHit) {
  VerifiedTokenCache cache(10);
  AccessTokenInfo info = InfoExpiringIn(absl::Minutes(10));
  info.nbf = absl::ToUnixSeconds(kNow + absl::Seconds(30));
  cache.Insert("t", info, kNow);
  EXPECT_FALSE(cache.Find("t", kNow, absl::Seconds(5)));
  EXPECT_TRUE(cache.Find("t", kNow + absl::Seconds(25), absl::Seconds(5)));
  info = InfoExpiringIn(absl::Minutes(10));
  info.iat = absl::ToUnixSeconds(kNow + absl::Seconds(30));
  cache.Insert("u", info, kNow);
  EXPECT_FALSE(cache.Find("u", kNow, absl::ZeroDuration()));
  EXPECT_TRUE(cache.Find("u", kNow + absl::Seconds(30), absl::ZeroDuration()));
}

TEST(VerifiedTokenCache, NeverHoldsMoreThanItsCapacity) {
  for (size_t capacity : {size_t{1}, size_t{3}, size_t{17}, size_t{100}}) {
    VerifiedTokenCache cache(capacity);
    for (int i = 0; i < 500; ++i) {
      cache.Insert(absl::StrCat("token-", i), InfoExpiringIn(absl::Minutes(10)), kNow);
    }
    size_t held = 0;
    for (int i = 0; i < 500; ++i) {
      held += cache.Find(absl::StrCat("token-", i), kNow, absl::ZeroDuration()).has_value();
    }
    EXPECT_LE(held, capacity);
    EXPECT_GE(held, 1u);
  }
}

TEST(VerifiedTokenCache, AFullCacheMakesRoomForANewToken) {
  VerifiedTokenCache cache(1);
  cache.Insert("old", InfoExpiringIn(absl::Seconds(1)), kNow);
  cache.Insert("new", InfoExpiringIn(absl::Minutes(10)), kNow + absl::Minutes(6));
  EXPECT_TRUE(cache.Find("new", kNow + absl::Minutes(6), absl::ZeroDuration()));
  EXPECT_FALSE(cache.Find("old", kNow, absl::ZeroDuration()));
}

TEST(VerifiedTokenCache, CapacityZeroRemembersNothingAndClearForgets) {
  VerifiedTokenCache off(0);
  off.Insert("t", InfoExpiringIn(absl::Minutes(10)), kNow);
  EXPECT_FALSE(off.Find("t", kNow, absl::ZeroDuration()));
  VerifiedTokenCache on(10);
  on.Insert("t", InfoExpiringIn(absl::Minutes(10)), kNow);
  on.Clear();
  EXPECT_FALSE(on.Find("t", kNow, absl::ZeroDuration()));
}

class IssuerWithCacheTest : public ::testing::Test {
 protected:
  IssuerWithCacheTest()
      : issuer_("https://issuer.test", {NewKey()}, [this] { return Now(); }) {}

  static std::shared_ptr<const jose::SigningKey> NewKey() {
    auto pem = jose::GeneratePrivateKeyPem(jose::Algorithm::kEs256);
    return std::make_shared<const jose::SigningKey>(*jose::SigningKey::FromPem(*pem));
  }
  absl::Time Now() const { return absl::FromUnixMillis(now_ms_.load()); }
  void Advance(absl::Duration d) { now_ms_ += absl::ToInt64Milliseconds(d); }
  std::string Mint() {
    Authorization a;
    a.client_id = "app";
    a.subject = "app";
    a.scopes = {"read"};
    a.audiences = {"api"};
    return issuer_.Mint(a, absl::Minutes(10))->token;
  }

  std::atomic<int64_t> now_ms_{1800000000000};
  TokenIssuer issuer_;
};

TEST_F(IssuerWithCacheTest, ASeenTokenStillExpiresForEveryLeeway) {
  const std::string token = Mint();
  ASSERT_TRUE(issuer_.Verify(token));  // verified and remembered
  ASSERT_TRUE(issuer_.Verify(token));  // from the cache
  Advance(absl::Minutes(10) + absl::Seconds(3));
  // Remembered by a caller with leeway; a caller without must still refuse.
  EXPECT_TRUE(issuer_.Verify(token, absl::Seconds(5)));
  EXPECT_FALSE(issuer_.Verify(token));
  Advance(absl::Seconds(2));
  EXPECT_FALSE(issuer_.Verify(token, absl::Seconds(5)));
}

TEST_F(IssuerWithCacheTest, ATamperedTwinOfASeenTokenIsRefused) {
  const std::string token = Mint();
  ASSERT_TRUE(issuer_.Verify(token));
  std::string tampered = token;
  tampered[tampered.size() - 2] = tampered[tampered.size() - 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(issuer_.Verify(tampered));
  EXPECT_FALSE(issuer_.Verify(token + "x"));
  EXPECT_TRUE(issuer_.Verify(token));
}

TEST_F(IssuerWithCacheTest, ATokenOfAnotherIssuerInstanceIsNotSharedThroughTheCache) {
  const std::string token = Mint();
  ASSERT_TRUE(issuer_.Verify(token));
  // Another issuer (another key) must verify for itself, cache or not.
  TokenIssuer other("https://issuer.test", {NewKey()}, [this] { return Now(); });
  EXPECT_FALSE(other.Verify(token));
}

}  // namespace
}  // namespace oauthd
