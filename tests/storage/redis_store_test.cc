// Redis-only behaviour: atomicity under concurrency, outages and recovery,
// script cache loss, key schema and TTLs, options and URL parsing.

#include <atomic>
#include <latch>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/redis/redis_options.h"
#include "storage/redis/redis_store.h"
#include "tests/storage/store_harness.h"
#include "tests/support/redis_server.h"

namespace oauthd::storage {
namespace {

using test_support::RedisServer;
using testing_internal::FreshRedis;
using testing_internal::TestRedisOptions;
using ::testing::HasSubstr;

class RedisStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = FreshRedis();
    ASSERT_TRUE(server.ok()) << server.status();
    redis_ = *server;
  }

  std::unique_ptr<Store> NewStore(RedisOptions options) {
    auto store = NewRedisStore(options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }
  std::unique_ptr<Store> NewStore() { return NewStore(TestRedisOptions(*redis_)); }

  std::string Cmd(const std::vector<std::string>& args) {
    auto reply = redis_->Command(args);
    EXPECT_TRUE(reply.ok()) << reply.status();
    return reply.ok() ? *reply : "";
  }
  int64_t IntCmd(const std::vector<std::string>& args) {
    int64_t v = -999;
    EXPECT_TRUE(absl::SimpleAtoi(Cmd(args), &v));
    return v;
  }

  static int64_t NowUnix() { return absl::ToUnixSeconds(absl::Now()); }

  static AuthorizationCode Code() {
    AuthorizationCode c;
    c.client_id = "client-1";
    c.redirect_uri = "https://app.example/cb";
    c.scope = "openid";
    c.subject = "sub";
    c.grant_id = "grant-of-the-code";
    return c;
  }
  static CodeRedemption Redemption(int i) {
    CodeRedemption r;
    (void)i;
    r.client_id = "client-1";
    return r;
  }
  static RefreshGrant Grant(const std::string& family) {
    RefreshGrant g;
    g.family_id = family;
    g.client_id = "client-1";
    g.subject = "sub";
    g.scope = "a b";
    g.issued_at = NowUnix();
    g.expires_at = NowUnix() + 3600;
    g.family_expires_at = NowUnix() + 86400;
    return g;
  }

  RedisServer* redis_ = nullptr;
};

// Runs `fn(i)` on `n` threads released at once.
template <typename Fn>
void RunConcurrently(int n, Fn fn) {
  std::latch start(n);
  std::vector<std::thread> threads;
  threads.reserve(n);
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      fn(i);
    });
  }
  for (auto& t : threads) t.join();
}

// ---- atomicity -------------------------------------------------------------------

TEST_F(RedisStoreTest, ConcurrentRedeemHasExactlyOneWinner) {
  RedisOptions options = TestRedisOptions(*redis_);
  options.pool_size = 50;
  auto store = NewStore(options);
  ASSERT_NE(store, nullptr);
  constexpr int kThreads = 50;
  for (int round = 0; round < 20; ++round) {
    const std::string hash = absl::StrCat("code-", round);
    ASSERT_TRUE(store->codes().Save(hash, Code(), absl::Seconds(60)).ok());
    std::vector<RedeemResult> results(kThreads);
    std::vector<absl::Status> errors(kThreads);
    RunConcurrently(kThreads, [&](int i) {
      auto r = store->codes().Redeem(hash, Redemption(i));
      if (r.ok()) {
        results[i] = *r;
      } else {
        errors[i] = r.status();
      }
    });
    int winners = 0;
    int winner = -1;
    for (int i = 0; i < kThreads; ++i) {
      ASSERT_TRUE(errors[i].ok()) << errors[i];
      if (results[i].outcome == RedeemResult::Outcome::kRedeemed) {
        ++winners;
        winner = i;
      }
    }
    ASSERT_EQ(winners, 1) << "round " << round;
    for (int i = 0; i < kThreads; ++i) {
      if (i == winner) continue;
      EXPECT_EQ(results[i].outcome, RedeemResult::Outcome::kAlreadyRedeemed);
      // Every loser learns the grant, to revoke everything issued from it.
      EXPECT_EQ(results[i].code.grant_id, "grant-of-the-code");
    }
  }
}

void ConcurrentRotate(Store& store, int64_t grace, int rounds) {
  constexpr int kThreads = 50;
  for (int round = 0; round < rounds; ++round) {
    const std::string family = absl::StrCat("F", grace, "-", round);
    RefreshGrant grant;
    grant.family_id = family;
    grant.client_id = "client-1";
    grant.scope = "a";
    const int64_t now = absl::ToUnixSeconds(absl::Now());
    grant.expires_at = now + 3600;
    grant.family_expires_at = now + 86400;
    ASSERT_TRUE(store.refresh_tokens().Create("t0", grant, 3600).ok());
    std::vector<RotateResult> results(kThreads);
    std::vector<absl::Status> errors(kThreads);
    RunConcurrently(kThreads, [&](int i) {
      RefreshRotation r;
      r.client_id = "client-1";
      r.now = now;
      r.successor_hash = absl::StrCat("t", i + 1);
      r.successor_ttl_seconds = 3600;
      r.grace_seconds = grace;
      r.sealed_successor = absl::StrCat("sealed-", i);
      auto result = store.refresh_tokens().Rotate(family, "t0", r);
      if (result.ok()) {
        results[i] = *result;
      } else {
        errors[i] = result.status();
      }
    });
    int winners = 0;
    int winner = -1;
    for (int i = 0; i < kThreads; ++i) {
      ASSERT_TRUE(errors[i].ok()) << errors[i];
      if (results[i].outcome == RotateResult::Outcome::kRotated) {
        ++winners;
        winner = i;
      }
    }
    ASSERT_EQ(winners, 1) << "round " << round;
    int reuse_detected = 0;
    for (int i = 0; i < kThreads; ++i) {
      if (i == winner) continue;
      const RotateResult::Outcome outcome = results[i].outcome;
      if (grace > 0) {
        ASSERT_EQ(outcome, RotateResult::Outcome::kGraceReplay) << "thread " << i;
        EXPECT_EQ(results[i].sealed_successor, absl::StrCat("sealed-", winner));
      } else {
        // The first late caller revokes the family; later ones find it gone.
        ASSERT_TRUE(outcome == RotateResult::Outcome::kReuseDetected ||
                    outcome == RotateResult::Outcome::kNotFound)
            << "thread " << i << " outcome " << static_cast<int>(outcome);
        if (outcome == RotateResult::Outcome::kReuseDetected) ++reuse_detected;
      }
    }
    if (grace == 0) {
      EXPECT_EQ(reuse_detected, 1);
    }
    auto successor =
        store.refresh_tokens().Lookup(family, absl::StrCat("t", winner + 1));
    ASSERT_TRUE(successor.ok());
    // With grace the winner's token lives on; without, reuse revoked it.
    EXPECT_EQ(successor->has_value(), grace > 0);
  }
}

TEST_F(RedisStoreTest, ConcurrentRotateHasExactlyOneWinner) {
  RedisOptions options = TestRedisOptions(*redis_);
  options.pool_size = 50;
  auto store = NewStore(options);
  ASSERT_NE(store, nullptr);
  ConcurrentRotate(*store, /*grace=*/0, /*rounds=*/10);
}

TEST_F(RedisStoreTest, ConcurrentRotateWithGraceSharesTheSuccessor) {
  auto store = NewStore();  // default pool of 16 for 50 callers
  ASSERT_NE(store, nullptr);
  ConcurrentRotate(*store, /*grace=*/60, /*rounds=*/10);
}

TEST_F(RedisStoreTest, ManyCallersMixedOperations) {
  auto store = NewStore();
  ASSERT_NE(store, nullptr);
  std::atomic<int> failures{0};
  RunConcurrently(32, [&](int i) {
    for (int j = 0; j < 100; ++j) {
      const std::string id = absl::StrCat("k", i, "-", j);
      bool ok = store->revocations().Revoke(id, absl::Seconds(30)).ok() &&
                store->revocations().IsRevoked(id).value_or(false) &&
                store->counters().Increment(absl::StrCat("c", i), absl::Seconds(30)).ok() &&
                store->codes().Save(id, Code(), absl::Seconds(30)).ok();
      if (ok) {
        auto redeemed = store->codes().Redeem(id, Redemption(i));
        ok = redeemed.ok() && redeemed->outcome == RedeemResult::Outcome::kRedeemed;
      }
      if (!ok) failures.fetch_add(1);
    }
  });
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(*store->counters().Get("c7"), 100);
}

// ---- outages ------------------------------------------------------------------------

// Runs a representative call of every store; all must fail with UNAVAILABLE
// quickly.
void ExpectAllUnavailable(Store& store) {
  std::vector<absl::Status> statuses;
  const absl::Time start = absl::Now();
  statuses.push_back(store.Ping());
  statuses.push_back(store.clients().Get("c").status());
  statuses.push_back(store.users().List("", 10).status());
  statuses.push_back(store.codes().Redeem("h", CodeRedemption()).status());
  statuses.push_back(store.refresh_tokens().Lookup("F", "t").status());
  statuses.push_back(store.revocations().IsRevoked("j").status());
  statuses.push_back(store.counters().Increment("k", absl::Seconds(1)).status());
  const absl::Duration elapsed = absl::Now() - start;
  for (const absl::Status& s : statuses) {
    EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr("redis"));
  }
  EXPECT_LT(elapsed, absl::Seconds(2)) << "calls while Redis is down took "
                                       << absl::FormatDuration(elapsed);
}

TEST_F(RedisStoreTest, OutageFailsFastAndRecoversWithoutANewStore) {
  auto store = NewStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->clients().Create([] {
    ClientRecord r;
    r.mutable_client()->set_client_id("c");
    return r;
  }()).ok());
  // Fill the pool with several idle connections.
  RunConcurrently(8, [&](int) { ASSERT_TRUE(store->Ping().ok()); });

  ASSERT_TRUE(redis_->Stop().ok());
  ExpectAllUnavailable(*store);
  // Many callers at once while it is down: none waits for the pool.
  const absl::Time start = absl::Now();
  std::atomic<int> unavailable{0};
  RunConcurrently(32, [&](int) {
    if (absl::IsUnavailable(store->Ping())) unavailable.fetch_add(1);
  });
  EXPECT_EQ(unavailable.load(), 32);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));

  ASSERT_TRUE(redis_->Restart().ok());
  // The very first calls succeed: dead idle connections are never used.
  EXPECT_TRUE(store->Ping().ok());
  auto got = store->clients().Get("c");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_FALSE(got->has_value());  // nothing persisted across the restart
  ASSERT_TRUE(store->codes().Save("h", Code(), absl::Seconds(10)).ok());
  EXPECT_EQ(store->codes().Redeem("h", Redemption(1))->outcome,
            RedeemResult::Outcome::kRedeemed);
}

TEST_F(RedisStoreTest, CrashAndRestartRecovers) {
  auto store = NewStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Ping().ok());
  redis_->Crash();  // SIGKILL: no orderly shutdown
  ExpectAllUnavailable(*store);
  ASSERT_TRUE(redis_->Restart().ok());
  EXPECT_TRUE(store->Ping().ok());
  EXPECT_TRUE(store->revocations().Revoke("j", absl::Seconds(5)).ok());
}

TEST_F(RedisStoreTest, UnreachableAtCreationIsNotFatal) {
  RedisOptions options;
  options.host = "127.0.0.1";
  options.port = redis_->port();
  ASSERT_TRUE(redis_->Stop().ok());
  const absl::Time start = absl::Now();
  auto store = NewRedisStore(options);
  ASSERT_TRUE(store.ok()) << store.status();
  absl::Status ping = (*store)->Ping();
  EXPECT_EQ(ping.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(ping.message()), HasSubstr("cannot connect"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  ASSERT_TRUE(redis_->Restart().ok());
  EXPECT_TRUE((*store)->Ping().ok());
}

TEST_F(RedisStoreTest, CommandTimeoutDropsTheConnection) {
  RedisOptions options = TestRedisOptions(*redis_);
  options.command_timeout = absl::Milliseconds(200);
  options.pool_size = 1;
  auto store = NewStore(options);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Ping().ok());
  // Paused far longer than the timeout, so "timed out" and "waited for the
  // pause" stay apart on a loaded machine.
  Cmd({"CLIENT", "PAUSE", "2500", "ALL"});
  const absl::Time start = absl::Now();
  absl::Status s = store->Ping();
  const absl::Duration elapsed = absl::Now() - start;
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("timed out"));
  EXPECT_LT(elapsed, absl::Milliseconds(2000));
  absl::SleepFor(absl::Milliseconds(2600));
  // A new connection replaces the one with the late reply.
  EXPECT_TRUE(store->Ping().ok());
  EXPECT_TRUE(store->revocations().Revoke("j", absl::Seconds(5)).ok());
  EXPECT_TRUE(*store->revocations().IsRevoked("j"));
}

TEST_F(RedisStoreTest, ExhaustedPoolTimesOut) {
  RedisOptions options = TestRedisOptions(*redis_);
  options.pool_size = 1;
  options.pool_wait_timeout = absl::Milliseconds(50);
  auto store = NewStore(options);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Ping().ok());
  Cmd({"CLIENT", "PAUSE", "1000", "ALL"});
  absl::Status slow;
  std::thread holder([&] { slow = store->Ping(); });  // holds the only lease
  absl::SleepFor(absl::Milliseconds(300));  // ample time to take it, even on a loaded machine
  absl::Status waited = store->Ping();
  holder.join();
  EXPECT_TRUE(slow.ok()) << slow;
  EXPECT_EQ(waited.code(), absl::StatusCode::kUnavailable) << waited;
  EXPECT_THAT(std::string(waited.message()), HasSubstr("no free connection"));
}

// ---- scripts --------------------------------------------------------------------------

TEST_F(RedisStoreTest, RecoversFromScriptFlush) {
  auto store = NewStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->codes().Save("h1", Code(), absl::Seconds(60)).ok());
  ASSERT_EQ(Cmd({"SCRIPT", "FLUSH"}), "OK");
  // Pooled connections loaded the scripts before the flush: EVALSHA now
  // answers NOSCRIPT and the store falls back to EVAL.
  EXPECT_EQ(store->codes().Redeem("h1", Redemption(1))->outcome,
            RedeemResult::Outcome::kRedeemed);
  ASSERT_TRUE(store->refresh_tokens().Create("t1", Grant("F"), 60).ok());
  RefreshRotation r;
  r.client_id = "client-1";
  r.now = NowUnix();
  r.successor_hash = "t2";
  r.successor_ttl_seconds = 60;
  EXPECT_EQ(store->refresh_tokens().Rotate("F", "t1", r)->outcome,
            RotateResult::Outcome::kRotated);
  EXPECT_EQ(*store->counters().Increment("c", absl::Seconds(5)), 1);
  ClientRecord client;
  client.mutable_client()->set_client_id("c1");
  EXPECT_TRUE(store->clients().Create(client).ok());
  EXPECT_EQ(store->clients().List("", 5)->size(), 1u);
  // EVAL cached the scripts again.
  EXPECT_EQ(Cmd({"SCRIPT", "FLUSH"}), "OK");
  EXPECT_TRUE(store->clients().Delete("c1").ok());
}

// ---- key schema and TTLs ------------------------------------------------------------------

TEST_F(RedisStoreTest, KeySchemaAndTtls) {
  auto store = NewStore();
  ASSERT_NE(store, nullptr);

  ClientRecord client;
  client.mutable_client()->set_client_id("app");
  ASSERT_TRUE(store->clients().Create(client).ok());
  EXPECT_EQ(IntCmd({"PTTL", "oauth:client:app"}), -1);
  EXPECT_EQ(Cmd({"ZRANGE", "oauth:clients", "0", "-1"}), "app");
  UserRecord user;
  user.mutable_user()->set_username("alice");
  ASSERT_TRUE(store->users().Create(user).ok());
  EXPECT_EQ(IntCmd({"EXISTS", "oauth:user:alice"}), 1);
  EXPECT_EQ(Cmd({"ZRANGE", "oauth:users", "0", "-1"}), "alice");
  ASSERT_TRUE(store->users().Delete("alice").ok());
  EXPECT_EQ(IntCmd({"EXISTS", "oauth:users"}), 0);

  ASSERT_TRUE(store->codes().Save("abc", Code(), absl::Seconds(60)).ok());
  EXPECT_EQ(Cmd({"TYPE", "oauth:code:abc"}), "hash");
  const int64_t code_ttl = IntCmd({"PTTL", "oauth:code:abc"});
  EXPECT_GT(code_ttl, 55000);
  EXPECT_LE(code_ttl, 60000);
  ASSERT_EQ(store->codes().Redeem("abc", Redemption(1))->outcome,
            RedeemResult::Outcome::kRedeemed);
  EXPECT_GT(IntCmd({"PTTL", "oauth:code:abc"}), 55000);  // spent keeps its TTL
  EXPECT_EQ(Cmd({"HGET", "oauth:code:abc", "spent"}), "1");

  RefreshGrant grant = Grant("fam");
  ASSERT_TRUE(store->refresh_tokens().Create("tok", grant, 600).ok());
  EXPECT_EQ(Cmd({"TYPE", "oauth:rt:{fam}:tok"}), "hash");
  const int64_t token_ttl = IntCmd({"TTL", "oauth:rt:{fam}:tok"});
  EXPECT_GT(token_ttl, 590);
  EXPECT_LE(token_ttl, 600);
  EXPECT_EQ(Cmd({"HGET", "oauth:grant:{fam}", "state"}), "active");
  EXPECT_EQ(IntCmd({"EXPIRETIME", "oauth:grant:{fam}"}), grant.family_expires_at);
  // The subject's index names the grant and lives as long as it.
  EXPECT_EQ(Cmd({"ZRANGE", "oauth:grants:" + grant.subject, "0", "-1"}), "fam");
  EXPECT_EQ(IntCmd({"EXPIRETIME", "oauth:grants:" + grant.subject}),
            grant.family_expires_at);

  RefreshRotation r;
  r.client_id = "client-1";
  r.now = NowUnix();
  r.successor_hash = "tok2";
  r.successor_ttl_seconds = 300;
  ASSERT_EQ(store->refresh_tokens().Rotate("fam", "tok", r)->outcome,
            RotateResult::Outcome::kRotated);
  EXPECT_GT(IntCmd({"TTL", "oauth:rt:{fam}:tok"}), 590);  // kept
  const int64_t successor_ttl = IntCmd({"TTL", "oauth:rt:{fam}:tok2"});
  EXPECT_GT(successor_ttl, 290);
  EXPECT_LE(successor_ttl, 300);
  ASSERT_TRUE(store->refresh_tokens().RevokeFamily("fam").ok());
  EXPECT_EQ(Cmd({"HGET", "oauth:grant:{fam}", "state"}), "revoked");
  EXPECT_EQ(IntCmd({"EXPIRETIME", "oauth:grant:{fam}"}), grant.family_expires_at);
  ASSERT_TRUE(store->refresh_tokens().RevokeFamily("ghost").ok());
  EXPECT_GT(IntCmd({"TTL", "oauth:grant:{ghost}"}), 86000);

  RefreshGrant login = Grant("pw");
  login.grant_expires_at = NowUnix() + 700;
  ASSERT_TRUE(store->refresh_tokens().CreateGrant(login).ok());
  EXPECT_EQ(IntCmd({"EXPIRETIME", "oauth:grant:{pw}"}), login.grant_expires_at);

  ASSERT_TRUE(store->revocations()
                  .RevokeOwner(Owner::kUser, "u_1", 1700000000123, absl::Seconds(40))
                  .ok());
  EXPECT_EQ(Cmd({"GET", "oauth:nbf:user:u_1"}), "1700000000123");
  EXPECT_GT(IntCmd({"PTTL", "oauth:nbf:user:u_1"}), 35000);
  ASSERT_TRUE(store->revocations()
                  .RevokeOwner(Owner::kClient, "app", 1700000000124, absl::Seconds(40))
                  .ok());
  EXPECT_EQ(Cmd({"GET", "oauth:nbf:client:app"}), "1700000000124");

  ASSERT_TRUE(store->revocations().Revoke("jti", absl::Seconds(30)).ok());
  const int64_t rev_ttl = IntCmd({"PTTL", "oauth:revoked:jti"});
  EXPECT_GT(rev_ttl, 25000);
  EXPECT_LE(rev_ttl, 30000);

  ASSERT_TRUE(store->counters().Increment("k", absl::Seconds(30)).ok());
  ASSERT_TRUE(store->counters().Increment("k", absl::Seconds(90)).ok());
  EXPECT_LE(IntCmd({"PTTL", "oauth:counter:k"}), 30000);  // window not moved

  // Every key without a TTL is a client/user record or index.
  std::vector<std::string> keys = absl::StrSplit(Cmd({"KEYS", "*"}), '\n');
  for (const std::string& key : keys) {
    if (key.empty()) continue;
    const int64_t ttl = IntCmd({"PTTL", key});
    if (absl::StartsWith(key, "oauth:client") || absl::StartsWith(key, "oauth:user")) {
      EXPECT_EQ(ttl, -1) << key;
    } else {
      EXPECT_GT(ttl, 0) << key;
    }
  }
}

TEST_F(RedisStoreTest, KeyPrefixSeparatesStores) {
  RedisOptions a = TestRedisOptions(*redis_);
  a.key_prefix = "tenant-a:";
  RedisOptions b = TestRedisOptions(*redis_);
  b.key_prefix = "tenant-b:";
  auto store_a = NewStore(a);
  auto store_b = NewStore(b);
  ASSERT_NE(store_a, nullptr);
  ASSERT_NE(store_b, nullptr);
  ASSERT_TRUE(store_a->revocations().Revoke("j", absl::Seconds(30)).ok());
  EXPECT_TRUE(*store_a->revocations().IsRevoked("j"));
  EXPECT_FALSE(*store_b->revocations().IsRevoked("j"));
  EXPECT_EQ(IntCmd({"EXISTS", "tenant-a:revoked:j"}), 1);
}

TEST_F(RedisStoreTest, UndecodableRecordIsInternal) {
  auto store = NewStore();
  ASSERT_NE(store, nullptr);
  Cmd({"SET", "oauth:client:bad", std::string("\xff\xff\xff", 3)});
  EXPECT_EQ(store->clients().Get("bad").status().code(), absl::StatusCode::kInternal);
  Cmd({"SET", "oauth:code:str", "x"});  // wrong type: WRONGTYPE in the script
  EXPECT_EQ(store->codes().Redeem("str", CodeRedemption()).status().code(),
            absl::StatusCode::kInternal);
}

// ---- authentication and databases ---------------------------------------------------

TEST(RedisAuthTest, PasswordAndDatabaseFromUrl) {
  test_support::RedisServerOptions server_options;
  server_options.password = "s3cr3t/:@";
  auto server = RedisServer::Start(server_options);
  ASSERT_TRUE(server.ok()) << server.status();

  auto options = ParseRedisUrl(absl::StrCat(
      "redis://:s3cr3t%2F%3A%40@127.0.0.1:", (*server)->port(), "/3"));
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->password, "s3cr3t/:@");
  auto store = NewRedisStore(*options);
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->Ping().ok());
  ASSERT_TRUE((*store)->revocations().Revoke("j", absl::Seconds(30)).ok());
  EXPECT_EQ(*(*server)->Command({"SELECT", "3"}), "OK");
  // The key went to db 3, not db 0.
  EXPECT_EQ(*(*server)->Command({"EXISTS", "oauth:revoked:j"}), "0");

  options->password = "wrong";
  auto bad = NewRedisStore(*options);
  ASSERT_TRUE(bad.ok());
  absl::Status ping = (*bad)->Ping();
  EXPECT_EQ(ping.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(ping.message()), HasSubstr("AUTH failed"));
}

// ---- options -------------------------------------------------------------------------------

TEST(RedisOptionsTest, ParseRedisUrl) {
  auto o = ParseRedisUrl("redis://localhost");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->host, "localhost");
  EXPECT_EQ(o->port, 6379);
  EXPECT_EQ(o->db, 0);
  EXPECT_EQ(o->password, "");
  EXPECT_EQ(o->key_prefix, "oauth:");
  EXPECT_EQ(o->pool_size, 16);

  o = ParseRedisUrl("redis://:pw@redis.svc:6380/2");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->host, "redis.svc");
  EXPECT_EQ(o->port, 6380);
  EXPECT_EQ(o->db, 2);
  EXPECT_EQ(o->user, "");
  EXPECT_EQ(o->password, "pw");

  o = ParseRedisUrl("redis://oauthd:pa%3Ass@[::1]:7000/");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->host, "::1");
  EXPECT_EQ(o->port, 7000);
  EXPECT_EQ(o->user, "oauthd");
  EXPECT_EQ(o->password, "pa:ss");

  for (const char* bad :
       {"http://x", "rediss://x", "redis://", "redis://:pw@", "redis://h:0",
        "redis://h:70000", "redis://h:x", "redis://h/db", "redis://h/-1",
        "redis://[::1", "redis://:p%zz@h"}) {
    EXPECT_EQ(ParseRedisUrl(bad).status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(RedisOptionsTest, RejectsBadOptions) {
  auto invalid = [](auto mutate) {
    RedisOptions o;
    mutate(o);
    return NewRedisStore(o).status().code() == absl::StatusCode::kInvalidArgument;
  };
  EXPECT_TRUE(invalid([](RedisOptions& o) { o.host = ""; }));
  EXPECT_TRUE(invalid([](RedisOptions& o) { o.port = 0; }));
  EXPECT_TRUE(invalid([](RedisOptions& o) { o.pool_size = 0; }));
  EXPECT_TRUE(invalid([](RedisOptions& o) { o.db = -1; }));
  EXPECT_TRUE(invalid([](RedisOptions& o) { o.connect_timeout = absl::InfiniteDuration(); }));
  EXPECT_TRUE(invalid([](RedisOptions& o) { o.command_timeout = absl::ZeroDuration(); }));
  EXPECT_TRUE(invalid([](RedisOptions& o) { o.pool_wait_timeout = absl::InfiniteDuration(); }));
  EXPECT_TRUE(invalid([](RedisOptions& o) { o.user = "u"; }));
  RedisOptions defaults;
  EXPECT_EQ(defaults.connect_timeout, absl::Milliseconds(200));
  EXPECT_EQ(defaults.command_timeout, absl::Milliseconds(500));
}

}  // namespace
}  // namespace oauthd::storage

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(
      new oauthd::test_support::RedisServerEnvironment());
  return RUN_ALL_TESTS();
}
