// The signing-key schedule: a new key is published at once and signs after
// the publish delay; a removed key stays published until its tokens expired.

#include <gtest/gtest.h>

#include <atomic>

#include "server/core/signing_key_ring.h"
#include "server/core/token_issuer.h"
#include "server/jose/key_generation.h"

namespace oauthd {
namespace {

std::shared_ptr<const jose::SigningKey> NewKey() {
  auto pem = jose::GeneratePrivateKeyPem(jose::Algorithm::kEs256);
  auto key = jose::SigningKey::FromPem(*pem);
  return std::make_shared<const jose::SigningKey>(*std::move(key));
}

std::vector<std::string> Kids(const TokenIssuer& issuer) {
  std::vector<std::string> out;
  for (const jose::Jwk& k : issuer.PublicKeys()) out.push_back(k.kid);
  return out;
}

class SigningKeyRingTest : public ::testing::Test {
 protected:
  SigningKeyRingTest()
      : a_(NewKey()),
        b_(NewKey()),
        issuer_("https://issuer.test", {a_}, [this] { return Now(); }),
        ring_(issuer_, {{a_, "a.pem"}}, absl::Seconds(60), absl::Seconds(30),
              [this] { return Now(); }) {}

  absl::Time Now() const { return absl::FromUnixSeconds(now_.load()); }
  void Advance(absl::Duration d) { now_ += absl::ToInt64Seconds(d); }
  // The kid in a fresh token's header, through Verify's key lookup: the
  // token verifies, and the issuer says which key signs now.
  std::string MintAndSigner(absl::Duration ttl = absl::Seconds(120)) {
    Authorization authz;
    authz.client_id = "c";
    authz.subject = "c";
    authz.audiences = {"c"};
    auto minted = issuer_.Mint(authz, ttl);
    EXPECT_TRUE(minted.ok());
    EXPECT_TRUE(issuer_.Verify(minted->token).has_value());
    return issuer_.SigningKid();
  }

  std::atomic<int64_t> now_{1800000000};
  std::shared_ptr<const jose::SigningKey> a_, b_;
  TokenIssuer issuer_;
  SigningKeyRing ring_;
};

TEST_F(SigningKeyRingTest, ANewKeyIsPublishedAtOnceAndSignsAfterTheDelay) {
  EXPECT_EQ(MintAndSigner(), a_->kid());
  ring_.Update({{b_, "a.pem"}});  // the file now holds key B
  EXPECT_EQ(Kids(issuer_), (std::vector<std::string>{b_->kid(), a_->kid()}));
  EXPECT_EQ(MintAndSigner(), a_->kid());
  auto status = ring_.Status();
  ASSERT_EQ(status.size(), 2u);
  EXPECT_EQ(status[0].kid, a_->kid());
  EXPECT_EQ(status[0].state, SigningKeyStatus::State::kSigning);
  EXPECT_EQ(status[1].state, SigningKeyStatus::State::kNext);
  EXPECT_EQ(status[1].signs_from, Now() + absl::Seconds(60));

  Advance(absl::Seconds(59));
  ring_.Tick();
  EXPECT_EQ(MintAndSigner(), a_->kid());
  Advance(absl::Seconds(1));
  ring_.Tick();
  EXPECT_EQ(MintAndSigner(), b_->kid());
  const absl::Time switched = Now();

  // A is retiring: published until its last token (minted at the switch
  // minus a second... here the one minted just before, exp = then + 120 s)
  // has expired, plus the margin.
  status = ring_.Status();
  ASSERT_EQ(status.size(), 2u);
  EXPECT_EQ(status[0].kid, b_->kid());
  EXPECT_EQ(status[1].state, SigningKeyStatus::State::kRetiring);
  EXPECT_EQ(status[1].signed_until, switched);
  const absl::Time until = absl::FromUnixSeconds(issuer_.LatestExpiry(a_->kid())) +
                           absl::Seconds(30);
  EXPECT_EQ(status[1].published_until, until);
  Advance(until - Now() - absl::Seconds(1));
  ring_.Tick();
  EXPECT_EQ(Kids(issuer_).size(), 2u);
  Advance(absl::Seconds(1));
  ring_.Tick();
  EXPECT_EQ(Kids(issuer_), (std::vector<std::string>{b_->kid()}));
}

TEST_F(SigningKeyRingTest, AKeyThatNeverSignedLeavesAtOnce) {
  ring_.Update({{a_, "a.pem"}, {b_, "b.pem"}});  // B added second: published only
  EXPECT_EQ(Kids(issuer_).size(), 2u);
  EXPECT_EQ(ring_.Status()[1].state, SigningKeyStatus::State::kPublished);
  ring_.Update({{a_, "a.pem"}});
  EXPECT_EQ(Kids(issuer_), (std::vector<std::string>{a_->kid()}));
}

TEST_F(SigningKeyRingTest, TheOldKeySignsUntilTheNewOneMayEvenWhenItsFileIsGone) {
  ring_.Update({{b_, "b.pem"}});
  Advance(absl::Seconds(10));
  ring_.Tick();
  EXPECT_EQ(MintAndSigner(), a_->kid());
  // The file is rewritten with the same key: nothing changes, the delay
  // still counts from the first publication.
  ring_.Update({{b_, "b.pem"}});
  Advance(absl::Seconds(50));
  ring_.Tick();
  EXPECT_EQ(MintAndSigner(), b_->kid());
}

TEST_F(SigningKeyRingTest, ARemovedKeyThatSignedNothingHereLeavesWhenItStopsSigning) {
  // No token was minted with A.
  ring_.Update({{b_, "b.pem"}});
  Advance(absl::Seconds(60));
  ring_.Tick();
  EXPECT_EQ(Kids(issuer_), (std::vector<std::string>{b_->kid()}));
}

}  // namespace
}  // namespace oauthd
