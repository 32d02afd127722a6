// DeviceStore (RFC 8628 device and user codes): one behaviour, two backends,
// the memory store on a fake clock and the Redis store on a real
// redis-server.

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/device_store.h"
#include "tests/storage/store_harness.h"
#include "tests/support/redis_server.h"

namespace oauthd::storage {
namespace {

using testing_internal::Backend;
using testing_internal::MakeHarness;
using testing_internal::StoreHarness;
using ::testing::ElementsAre;
using Poll = PollResult::Outcome;
using State = DeviceAuthorization::State;

constexpr absl::Duration kTtl = absl::Minutes(20);

class DeviceStoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto harness = MakeHarness(GetParam());
    ASSERT_TRUE(harness.ok()) << harness.status();
    harness_ = *std::move(harness);
    now_ms_ = harness_->NowUnix() * 1000;
  }

  DeviceStore& devices() { return harness_->store().devices(); }

  // A pending request of client-1 that expires 10 minutes from now_ms_.
  DeviceAuthorization Pending() const {
    DeviceAuthorization a;
    a.client_id = "client-1";
    a.scope = "tv profile";
    a.audiences = {"https://api.example", "a:b 5:c"};
    a.expires_at_ms = now_ms_ + 600'000;
    a.interval_seconds = 5;
    return a;
  }

  DeviceDecision Approval() const {
    DeviceDecision d;
    d.approved = true;
    d.subject = "u_sub";
    d.username = "alice";
    d.grant_id = "grant-1";
    d.granted_at_ms = now_ms_ + 1000;
    return d;
  }

  std::unique_ptr<StoreHarness> harness_;
  int64_t now_ms_ = 0;
};

TEST_P(DeviceStoreTest, SaveFindDecidePollRoundTripsEveryField) {
  ASSERT_TRUE(devices().Save("dev-hash", "user-hash", Pending(), kTtl).ok());
  absl::StatusOr<std::optional<DeviceAuthorization>> found =
      devices().FindByUserCode("user-hash", now_ms_);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->client_id, "client-1");
  EXPECT_EQ((*found)->scope, "tv profile");
  EXPECT_THAT((*found)->audiences, ElementsAre("https://api.example", "a:b 5:c"));
  EXPECT_EQ((*found)->expires_at_ms, now_ms_ + 600'000);
  EXPECT_EQ((*found)->interval_seconds, 5);
  EXPECT_EQ((*found)->state, State::kPending);

  ASSERT_TRUE(*devices().Decide("user-hash", Approval(), now_ms_ + 1000));
  absl::StatusOr<PollResult> poll = devices().Poll("dev-hash", "client-1", now_ms_ + 2000);
  ASSERT_TRUE(poll.ok()) << poll.status();
  ASSERT_EQ(poll->outcome, Poll::kApproved);
  const DeviceAuthorization& a = poll->authorization;
  EXPECT_EQ(a.client_id, "client-1");
  EXPECT_EQ(a.scope, "tv profile");
  EXPECT_THAT(a.audiences, ElementsAre("https://api.example", "a:b 5:c"));
  EXPECT_EQ(a.state, State::kApproved);
  EXPECT_EQ(a.subject, "u_sub");
  EXPECT_EQ(a.username, "alice");
  EXPECT_EQ(a.grant_id, "grant-1");
  EXPECT_EQ(a.granted_at_ms, now_ms_ + 1000);
}

TEST_P(DeviceStoreTest, ApprovalIsRedeemedOnce) {
  ASSERT_TRUE(devices().Save("dev-hash", "user-hash", Pending(), kTtl).ok());
  ASSERT_TRUE(*devices().Decide("user-hash", Approval(), now_ms_));
  EXPECT_EQ(devices().Poll("dev-hash", "client-1", now_ms_)->outcome, Poll::kApproved);
  EXPECT_EQ(devices().Poll("dev-hash", "client-1", now_ms_ + 10'000)->outcome,
            Poll::kAlreadyRedeemed);
}

TEST_P(DeviceStoreTest, PendingThenSlowDownGrowsTheIntervalByFive) {
  ASSERT_TRUE(devices().Save("dev-hash", "user-hash", Pending(), kTtl).ok());
  // The first poll is never early.
  absl::StatusOr<PollResult> first = devices().Poll("dev-hash", "client-1", now_ms_);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->outcome, Poll::kPending);
  EXPECT_EQ(first->authorization.interval_seconds, 5);
  // 4.9 s later: too soon.
  absl::StatusOr<PollResult> early = devices().Poll("dev-hash", "client-1", now_ms_ + 4900);
  EXPECT_EQ(early->outcome, Poll::kSlowDown);
  EXPECT_EQ(early->authorization.interval_seconds, 10);
  // 5 s after that: too soon for the new interval of 10 s.
  absl::StatusOr<PollResult> again = devices().Poll("dev-hash", "client-1", now_ms_ + 9900);
  EXPECT_EQ(again->outcome, Poll::kSlowDown);
  EXPECT_EQ(again->authorization.interval_seconds, 15);
  // 15 s after the last poll: fine, and the interval stays 15.
  absl::StatusOr<PollResult> ok = devices().Poll("dev-hash", "client-1", now_ms_ + 24'900);
  EXPECT_EQ(ok->outcome, Poll::kPending);
  EXPECT_EQ(ok->authorization.interval_seconds, 15);
  // The lookup by user code sees the grown interval too.
  EXPECT_EQ((*devices().FindByUserCode("user-hash", now_ms_))->interval_seconds, 15);
}

TEST_P(DeviceStoreTest, AnotherClientChangesNothing) {
  ASSERT_TRUE(devices().Save("dev-hash", "user-hash", Pending(), kTtl).ok());
  ASSERT_TRUE(*devices().Decide("user-hash", Approval(), now_ms_));
  EXPECT_EQ(devices().Poll("dev-hash", "client-2", now_ms_)->outcome, Poll::kClientMismatch);
  EXPECT_EQ(devices().Poll("dev-hash", "client-1", now_ms_)->outcome, Poll::kApproved);
}

TEST_P(DeviceStoreTest, DenialIsReportedAndForgetsTheUserCode) {
  ASSERT_TRUE(devices().Save("dev-hash", "user-hash", Pending(), kTtl).ok());
  DeviceDecision deny;
  ASSERT_TRUE(*devices().Decide("user-hash", deny, now_ms_));
  EXPECT_FALSE(devices().FindByUserCode("user-hash", now_ms_)->has_value());
  EXPECT_FALSE(*devices().Decide("user-hash", Approval(), now_ms_));
  EXPECT_EQ(devices().Poll("dev-hash", "client-1", now_ms_)->outcome, Poll::kDenied);
  EXPECT_EQ(devices().Poll("dev-hash", "client-1", now_ms_ + 1)->outcome, Poll::kDenied);
}

TEST_P(DeviceStoreTest, UserCodeDecidesOnce) {
  ASSERT_TRUE(devices().Save("dev-hash", "user-hash", Pending(), kTtl).ok());
  ASSERT_TRUE(*devices().Decide("user-hash", Approval(), now_ms_));
  EXPECT_FALSE(devices().FindByUserCode("user-hash", now_ms_)->has_value());
  EXPECT_FALSE(*devices().Decide("user-hash", DeviceDecision(), now_ms_));
  EXPECT_EQ(devices().Poll("dev-hash", "client-1", now_ms_)->outcome, Poll::kApproved);
}

TEST_P(DeviceStoreTest, ExpiryIsReportedWhileTheRecordIsKept) {
  ASSERT_TRUE(devices().Save("dev-hash", "user-hash", Pending(), kTtl).ok());
  const int64_t late = now_ms_ + 600'000;
  EXPECT_FALSE(devices().FindByUserCode("user-hash", late)->has_value());
  EXPECT_FALSE(*devices().Decide("user-hash", Approval(), late));
  EXPECT_EQ(devices().Poll("dev-hash", "client-1", late)->outcome, Poll::kExpired);
  // Not decided: still pending before the expiry.
  EXPECT_EQ(devices().Poll("dev-hash", "client-1", now_ms_)->outcome, Poll::kPending);
}

TEST_P(DeviceStoreTest, RecordsDisappearAfterTheirTtl) {
  ASSERT_TRUE(devices().Save("dev-hash", "user-hash", Pending(), absl::Milliseconds(300)).ok());
  harness_->Advance(absl::Milliseconds(500));
  EXPECT_FALSE(devices().FindByUserCode("user-hash", now_ms_)->has_value());
  EXPECT_EQ(devices().Poll("dev-hash", "client-1", now_ms_)->outcome, Poll::kNotFound);
  // The hashes are free again.
  EXPECT_TRUE(devices().Save("dev-hash", "user-hash", Pending(), kTtl).ok());
}

TEST_P(DeviceStoreTest, UnknownCodes) {
  EXPECT_EQ(devices().Poll("nope", "client-1", now_ms_)->outcome, Poll::kNotFound);
  EXPECT_FALSE(devices().FindByUserCode("nope", now_ms_)->has_value());
  EXPECT_FALSE(*devices().Decide("nope", Approval(), now_ms_));
}

TEST_P(DeviceStoreTest, SaveRejectsCollisionsAndBadInput) {
  ASSERT_TRUE(devices().Save("dev-hash", "user-hash", Pending(), kTtl).ok());
  EXPECT_EQ(devices().Save("dev-hash", "other-user", Pending(), kTtl).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(devices().Save("other-dev", "user-hash", Pending(), kTtl).code(),
            absl::StatusCode::kAlreadyExists);
  // Nothing of the refused saves was written.
  EXPECT_EQ(devices().Poll("other-dev", "client-1", now_ms_)->outcome, Poll::kNotFound);
  EXPECT_FALSE(devices().FindByUserCode("other-user", now_ms_)->has_value());
  EXPECT_EQ(devices().Save("", "u", Pending(), kTtl).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(devices().Save("d", "", Pending(), kTtl).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(devices().Save("d", "u", Pending(), absl::ZeroDuration()).code(),
            absl::StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Backends, DeviceStoreTest,
                         ::testing::Values(Backend::kMemory, Backend::kRedis),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return testing_internal::BackendName(info.param);
                         });

}  // namespace
}  // namespace oauthd::storage

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new oauthd::test_support::RedisServerEnvironment());
  return RUN_ALL_TESTS();
}
