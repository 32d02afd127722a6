// The in-memory revocation view against a real redis-server: what one
// replica's store revokes reaches another replica's view through Pub/Sub, a
// view started (or reconnected) later reads the feed index, and a view that
// cannot hear from Redis fails closed.

#include "storage/redis/revocation_view.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "storage/redis/redis_store.h"
#include "tests/storage/store_harness.h"
#include "tests/support/redis_server.h"

namespace oauthd::storage {
namespace {

using testing_internal::FreshRedis;
using testing_internal::TestRedisOptions;

constexpr absl::Duration kStaleness = absl::Milliseconds(800);

class RevocationViewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = FreshRedis();
    ASSERT_TRUE(server.ok()) << server.status();
    redis_ = *server;
  }

  std::unique_ptr<RevocationView> NewView() {
    auto view = NewRedisRevocationView(TestRedisOptions(*redis_), kStaleness);
    EXPECT_TRUE(view.ok()) << view.status();
    return view.ok() ? *std::move(view) : nullptr;
  }

  // A replica's store; with `local`, the view of the same replica.
  std::unique_ptr<Store> NewStore(RevocationView* local = nullptr) {
    RedisOptions options = TestRedisOptions(*redis_);
    if (local != nullptr) {
      options.on_revocation = [local](const RevocationEvent& e) { local->Apply(e); };
    }
    auto store = NewRedisStore(options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  static RevocationState Ask(RevocationView& view, const RevocationQuery& q) {
    auto state = view.Check(q);
    EXPECT_TRUE(state.ok()) << state.status();
    return state.ok() ? *state : RevocationState();
  }

  // Waits (up to 5 s) until `pred` holds for the view's answer to `q`;
  // returns how long it took.
  template <typename Pred>
  static absl::Duration Until(RevocationView& view, const RevocationQuery& q, Pred pred) {
    const absl::Time start = absl::Now();
    while (absl::Now() - start < absl::Seconds(5)) {
      auto state = view.Check(q);
      if (state.ok() && pred(*state)) return absl::Now() - start;
      absl::SleepFor(absl::Microseconds(200));
    }
    ADD_FAILURE() << "the view never saw it";
    return absl::InfiniteDuration();
  }

  test_support::RedisServer* redis_ = nullptr;
};

TEST_F(RevocationViewTest, RejectsBadOptions) {
  EXPECT_EQ(NewRedisRevocationView(TestRedisOptions(*redis_), absl::Milliseconds(10))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(RevocationViewTest, AnotherReplicasRevocationsArriveWithinASecond) {
  auto other_view = NewView();
  ASSERT_TRUE(other_view->WaitUntilFresh(absl::Seconds(5)));
  auto local_view = NewView();
  ASSERT_TRUE(local_view->WaitUntilFresh(absl::Seconds(5)));
  auto store = NewStore(local_view.get());

  std::vector<absl::Duration> delays;
  for (int i = 0; i < 30; ++i) {
    RevocationQuery q;
    q.jti = "jti-" + std::to_string(i);
    q.grant_id = "grant-" + std::to_string(i);
    q.user_subject = "u_" + std::to_string(i);
    q.client_id = "c_" + std::to_string(i);
    ASSERT_FALSE(Ask(*other_view, q).jti_revoked);
    switch (i % 4) {
      case 0:
        ASSERT_TRUE(store->revocations().Revoke(q.jti, absl::Minutes(5)).ok());
        EXPECT_TRUE(Ask(*local_view, q).jti_revoked);  // the writer's own view: at once
        delays.push_back(Until(*other_view, q, [](const auto& s) { return s.jti_revoked; }));
        break;
      case 1:
        ASSERT_TRUE(store->refresh_tokens().RevokeFamily(q.grant_id).ok());
        EXPECT_TRUE(Ask(*local_view, q).grant_revoked);
        delays.push_back(Until(*other_view, q, [](const auto& s) { return s.grant_revoked; }));
        break;
      case 2:
        ASSERT_TRUE(store->revocations()
                        .RevokeOwner(Owner::kUser, q.user_subject, 1000 + i, absl::Hours(1))
                        .ok());
        EXPECT_EQ(Ask(*local_view, q).user_not_before_ms, 1000 + i);
        delays.push_back(Until(*other_view, q, [i](const auto& s) {
          return s.user_not_before_ms == 1000 + i;
        }));
        break;
      case 3:
        ASSERT_TRUE(store->revocations()
                        .RevokeOwner(Owner::kClient, q.client_id, 2000 + i, absl::Hours(1))
                        .ok());
        delays.push_back(Until(*other_view, q, [i](const auto& s) {
          return s.client_not_before_ms == 2000 + i;
        }));
        break;
    }
  }
  std::sort(delays.begin(), delays.end());
  std::printf("[revocation-view] another replica's view saw 30 revocations: p50 %s, p99 %s\n",
              absl::FormatDuration(delays[delays.size() / 2]).c_str(),
              absl::FormatDuration(delays[delays.size() * 99 / 100]).c_str());
  // Nothing else moved.
  RevocationQuery untouched;
  untouched.jti = "jti-1";
  untouched.grant_id = "grant-0";
  untouched.user_subject = "u_3";
  untouched.client_id = "c_2";
  const RevocationState s = Ask(*other_view, untouched);
  EXPECT_FALSE(s.jti_revoked);
  EXPECT_FALSE(s.grant_revoked);
  EXPECT_EQ(s.user_not_before_ms, 0);
  EXPECT_EQ(s.client_not_before_ms, 0);
}

TEST_F(RevocationViewTest, ReuseDetectionIsAnnouncedToo) {
  auto view = NewView();
  ASSERT_TRUE(view->WaitUntilFresh(absl::Seconds(5)));
  auto store = NewStore();
  RefreshGrant g;
  g.family_id = "F1";
  g.client_id = "c";
  g.subject = "u_1";
  g.issued_at = absl::ToUnixSeconds(absl::Now());
  g.expires_at = g.issued_at + 3600;
  g.family_expires_at = g.issued_at + 7200;
  ASSERT_TRUE(store->refresh_tokens().Create("t1", g, 3600).ok());
  RefreshRotation r;
  r.client_id = "c";
  r.now = g.issued_at;
  r.successor_ttl_seconds = 3600;
  r.successor_hash = "t2";
  ASSERT_EQ(store->refresh_tokens().Rotate("F1", "t1", r)->outcome, RotateResult::Outcome::kRotated);
  r.successor_hash = "t3";
  ASSERT_EQ(store->refresh_tokens().Rotate("F1", "t1", r)->outcome,
            RotateResult::Outcome::kReuseDetected);
  RevocationQuery q;
  q.grant_id = "F1";
  Until(*view, q, [](const auto& s) { return s.grant_revoked; });
}

TEST_F(RevocationViewTest, AViewStartedLaterReadsTheIndex) {
  auto store = NewStore();
  ASSERT_TRUE(store->revocations().Revoke("old-jti", absl::Minutes(5)).ok());
  ASSERT_TRUE(store->revocations().Revoke("ended-jti", absl::Milliseconds(50)).ok());
  ASSERT_TRUE(store->refresh_tokens().RevokeFamily("old-grant").ok());
  ASSERT_TRUE(
      store->revocations().RevokeOwner(Owner::kUser, "u_x", 100, absl::Hours(1)).ok());
  ASSERT_TRUE(
      store->revocations().RevokeOwner(Owner::kUser, "u_x", 50, absl::Hours(1)).ok());
  absl::SleepFor(absl::Milliseconds(100));
  auto view = NewView();
  ASSERT_TRUE(view->WaitUntilFresh(absl::Seconds(5)));
  RevocationQuery q;
  q.jti = "old-jti";
  q.grant_id = "old-grant";
  q.user_subject = "u_x";
  const RevocationState s = Ask(*view, q);
  EXPECT_TRUE(s.jti_revoked);
  EXPECT_TRUE(s.grant_revoked);
  EXPECT_EQ(s.user_not_before_ms, 100);  // never moves back
  q.jti = "ended-jti";
  EXPECT_FALSE(Ask(*view, q).jti_revoked);
  EXPECT_EQ(view->size(), 3u);  // the ended one was never taken
}

TEST_F(RevocationViewTest, FailsClosedWhileRedisIsGoneAndCatchesUpAfter) {
  auto view = NewView();
  ASSERT_TRUE(view->WaitUntilFresh(absl::Seconds(5)));
  RevocationQuery q;
  q.jti = "during-outage";
  ASSERT_TRUE(redis_->Stop().ok());
  const absl::Time stopped = absl::Now();
  while (view->Check(q).ok()) {
    ASSERT_LT(absl::Now() - stopped, absl::Seconds(5)) << "never went stale";
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(view->Check(q).status().code(), absl::StatusCode::kUnavailable);
  std::printf("[revocation-view] stale (fail closed) %s after Redis stopped (bound %s)\n",
              absl::FormatDuration(absl::Now() - stopped).c_str(),
              absl::FormatDuration(kStaleness).c_str());

  // Redis returns (as empty as a crash without persistence); a revocation
  // written now — while this view may not be subscribed yet — is found by its
  // resynchronisation.
  ASSERT_TRUE(redis_->Restart().ok());
  auto store = NewStore();
  absl::Status revoked = absl::UnavailableError("not yet");
  for (int i = 0; i < 50 && !revoked.ok(); ++i) {
    revoked = store->revocations().Revoke("during-outage", absl::Minutes(5));
    if (!revoked.ok()) absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_TRUE(revoked.ok()) << revoked;
  ASSERT_TRUE(view->WaitUntilFresh(absl::Seconds(10)));
  Until(*view, q, [](const auto& s) { return s.jti_revoked; });
}

}  // namespace
}  // namespace oauthd::storage

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new oauthd::test_support::RedisServerEnvironment());
  return RUN_ALL_TESTS();
}
