// Work that cannot starve other work (issue 10): password checks run on
// their own bounded pool, so a burst of logins leaves client_credentials
// fast, and queues beyond their bound shed load with RESOURCE_EXHAUSTED.
// Delays are compared with each other, never with a fixed time.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "tests/integration/oauthd_process.h"

namespace oauthd::testing {
namespace {

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

struct Fixture {
  std::unique_ptr<OauthdProcess> oauthd;
  oauth::v1::ClientAuthentication client;
};

Fixture Start(std::vector<std::string> flags) {
  OauthdOptions options;
  options.flags = std::move(flags);
  auto started = OauthdProcess::Start(options);
  EXPECT_TRUE(started.ok()) << started.status();
  Fixture f;
  if (!started.ok()) return f;
  f.oauthd = *std::move(started);
  EXPECT_TRUE(f.oauthd->CreateUser("alice", "correct horse battery").ok());
  oauth::admin::v1::Client c;
  c.add_grant_types("password");
  c.add_grant_types("client_credentials");
  auto client = f.oauthd->CreateClient(c);
  EXPECT_TRUE(client.ok()) << client.status();
  if (client.ok()) f.client = *client;
  return f;
}

grpc::Status Login(Fixture& f, int i) {
  oauth::v1::IssueTokenRequest request;
  *request.mutable_client() = f.client;
  request.mutable_password()->set_username("alice");
  request.mutable_password()->set_password("correct horse battery");
  auto ctx = f.oauthd->Context(false, /*wait_for_ready=*/false);
  // Spread over addresses so the login limits stay out of the way.
  ctx->AddMetadata("oauthd-source-address", absl::StrCat("10.9.", i / 200, ".", i % 200));
  oauth::v1::TokenResponse out;
  return f.oauthd->tokens().IssueToken(ctx.get(), request, &out);
}

grpc::Status ClientCredentials(Fixture& f) {
  oauth::v1::IssueTokenRequest request;
  *request.mutable_client() = f.client;
  request.mutable_client_credentials();
  auto ctx = f.oauthd->Context(false, false);
  oauth::v1::TokenResponse out;
  return f.oauthd->tokens().IssueToken(ctx.get(), request, &out);
}

TEST(LoadShedding, ALoginBurstDoesNotDelayClientCredentials) {
  // scrypt at 2^14 makes each login cost tens of milliseconds of CPU.
  // More logins in flight than workers: with one shared pool they would
  // occupy every worker and queue ahead of everything else.
  Fixture f = Start({"--scrypt_log2_n=14", "--worker_threads=4", "--login_threads=1",
                     "--max_queued_logins=1000", "--login_address_limit=1000"});
  ASSERT_NE(f.oauthd, nullptr);
  ASSERT_TRUE(ClientCredentials(f).ok());
  std::atomic<bool> stop{false};
  absl::Mutex mu;
  std::vector<double> login_ms;
  std::vector<std::thread> burst;
  for (int t = 0; t < 16; ++t) {
    burst.emplace_back([&, t] {
      for (int i = 0; i < 10 && !stop; ++i) {
        const absl::Time start = absl::Now();
        grpc::Status s = Login(f, t * 100 + i);
        const double ms = absl::ToDoubleMilliseconds(absl::Now() - start);
        EXPECT_TRUE(s.ok()) << s.error_message();
        absl::MutexLock lock(&mu);
        login_ms.push_back(ms);
      }
    });
  }
  absl::SleepFor(absl::Milliseconds(200));  // the login queue fills
  std::vector<double> cc_ms;
  for (int i = 0; i < 50; ++i) {
    const absl::Time start = absl::Now();
    ASSERT_TRUE(ClientCredentials(f).ok());
    cc_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
  }
  stop = true;
  for (auto& t : burst) t.join();
  const double cc = Median(cc_ms), login = Median(login_ms);
  std::printf("client_credentials median %.1f ms, login median %.1f ms during the burst\n", cc,
              login);
  // With one shared queue, client_credentials waited behind the logins and
  // took about as long as they did; on its own pool it takes a small
  // fraction of a login's time.
  EXPECT_LT(cc * 10, login) << "client_credentials median " << cc << " ms, login median "
                            << login << " ms";
}

TEST(LoadShedding, AFullLoginQueueShedsWithResourceExhausted) {
  Fixture f = Start({"--scrypt_log2_n=14", "--login_threads=1", "--max_queued_logins=2",
                     "--login_address_limit=1000"});
  ASSERT_NE(f.oauthd, nullptr);
  std::atomic<int> ok{0}, shed{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 24; ++i) {
    threads.emplace_back([&, i] {
      grpc::Status s = Login(f, i);
      if (s.ok()) {
        ++ok;
      } else if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
        ++shed;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_GT(shed.load(), 0);
  EXPECT_GT(ok.load(), 0);
  EXPECT_EQ(other.load(), 0);
  // client_credentials is on the other pool and unaffected.
  EXPECT_TRUE(ClientCredentials(f).ok());
}

}  // namespace
}  // namespace oauthd::testing
