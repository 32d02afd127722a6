// One behaviour, two backends: every case here runs against the memory store
// (fake clock) and the Redis store (real redis-server started by the harness).

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/storage/store_harness.h"
#include "tests/support/redis_server.h"

namespace oauthd::storage {
namespace {

using testing_internal::Backend;
using testing_internal::MakeHarness;
using testing_internal::StoreHarness;
using ::testing::ElementsAre;

using Redeem = RedeemResult::Outcome;
using Rotate = RotateResult::Outcome;

ClientRecord MakeClient(const std::string& id, const std::string& name = "app") {
  ClientRecord r;
  r.mutable_client()->set_client_id(id);
  r.mutable_client()->set_client_name(name);
  r.set_secret_salt(std::string("salt\0\x01", 6));
  r.set_secret_hash("hash-of-secret");
  return r;
}

UserRecord MakeUser(const std::string& name, const std::string& subject = "sub-1") {
  UserRecord r;
  r.mutable_user()->set_username(name);
  r.mutable_user()->set_subject(subject);
  r.set_password_hash("$scrypt$...");
  return r;
}

std::vector<std::string> ClientIds(const std::vector<ClientRecord>& records) {
  std::vector<std::string> ids;
  for (const auto& r : records) ids.push_back(r.client().client_id());
  return ids;
}

std::vector<std::string> Usernames(const std::vector<UserRecord>& records) {
  std::vector<std::string> ids;
  for (const auto& r : records) ids.push_back(r.user().username());
  return ids;
}

class StoreConformanceTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto harness = MakeHarness(GetParam());
    ASSERT_TRUE(harness.ok()) << harness.status();
    harness_ = *std::move(harness);
  }

  Store& store() { return harness_->store(); }
  int64_t Now() { return harness_->NowUnix(); }
  void Advance(absl::Duration d) { harness_->Advance(d); }

  // A code with every field set, PKCE S256.
  static AuthorizationCode FullCode() {
    AuthorizationCode c;
    c.client_id = "client-1";
    c.redirect_uri = "https://app.example/cb?x=1";
    c.redirect_uri_in_request = true;
    c.scope = "openid profile";
    c.subject = "sub-42";
    c.username = "alice";
    c.audiences = {"https://api.example", "", "a:b 5:c"};
    c.code_challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    c.code_challenge_method = "S256";
    c.auth_time = 1700000000;
    c.grant_id = "grant-1";
    c.granted_at_ms = 1700000000123;
    return c;
  }

  static CodeRedemption GoodRedemption() {
    CodeRedemption r;
    r.client_id = "client-1";
    r.redirect_uri = "https://app.example/cb?x=1";
    r.code_verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    r.code_verifier_s256 = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    return r;
  }

  RefreshGrant Grant(const std::string& family, int64_t ttl = 3600,
                     int64_t family_ttl = 86400) {
    RefreshGrant g;
    g.family_id = family;
    g.client_id = "client-1";
    g.subject = "sub-42";
    g.username = "alice";
    g.scope = "a b c";
    g.audiences = {"https://api.example", "x:y"};
    g.issued_at = Now();
    g.expires_at = Now() + ttl;
    g.family_expires_at = Now() + family_ttl;
    g.granted_at_ms = Now() * 1000 + 7;
    return g;
  }

  RefreshRotation Rotation(const std::string& successor, int64_t grace = 0,
                           const std::string& sealed = "sealed") {
    RefreshRotation r;
    r.client_id = "client-1";
    r.now = Now();
    r.successor_hash = successor;
    r.successor_ttl_seconds = 3600;
    r.grace_seconds = grace;
    r.sealed_successor = sealed;
    return r;
  }

  RedeemResult::Outcome RedeemOutcome(const std::string& hash,
                                      const CodeRedemption& r) {
    auto result = store().codes().Redeem(hash, r);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? result->outcome : Redeem::kNotFound;
  }

  std::unique_ptr<StoreHarness> harness_;
};

// ---- clients ----------------------------------------------------------------

TEST_P(StoreConformanceTest, ClientCreateGetUpdateDelete) {
  ClientStore& clients = store().clients();
  ASSERT_TRUE(clients.Create(MakeClient("c1", "first")).ok());
  EXPECT_EQ(clients.Create(MakeClient("c1", "again")).code(),
            absl::StatusCode::kAlreadyExists);

  auto got = clients.Get("c1");
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->client().client_name(), "first");
  EXPECT_EQ((*got)->secret_salt(), std::string("salt\0\x01", 6));
  EXPECT_EQ((*got)->secret_hash(), "hash-of-secret");

  ASSERT_TRUE(clients.Update(MakeClient("c1", "renamed")).ok());
  got = clients.Get("c1");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->client().client_name(), "renamed");
  EXPECT_EQ(clients.Update(MakeClient("nope")).code(), absl::StatusCode::kNotFound);

  auto missing = clients.Get("nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());

  ASSERT_TRUE(clients.Delete("c1").ok());
  EXPECT_EQ(clients.Delete("c1").code(), absl::StatusCode::kNotFound);
  got = clients.Get("c1");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
  // Deleted ids can be registered again.
  EXPECT_TRUE(clients.Create(MakeClient("c1")).ok());
}

TEST_P(StoreConformanceTest, ClientRejectsEmptyId) {
  EXPECT_EQ(store().clients().Create(MakeClient("")).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store().clients().Update(MakeClient("")).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(StoreConformanceTest, ClientListPaginatesInByteOrder) {
  ClientStore& clients = store().clients();
  const std::vector<std::string> ids = {"m", "B", "a", "z9", "a0", "_x", "Z", "\xc3\xa9"};
  for (const auto& id : ids) ASSERT_TRUE(clients.Create(MakeClient(id)).ok()) << id;
  std::vector<std::string> sorted = ids;
  std::sort(sorted.begin(), sorted.end());

  std::vector<std::string> seen;
  std::string after;
  int pages = 0;
  for (;;) {
    auto page = clients.List(after, 3);
    ASSERT_TRUE(page.ok()) << page.status();
    if (page->empty()) break;
    ASSERT_LE(page->size(), 3u);
    for (const auto& id : ClientIds(*page)) seen.push_back(id);
    after = page->back().client().client_id();
    ++pages;
    ASSERT_LT(pages, 10);
  }
  EXPECT_EQ(seen, sorted);
  EXPECT_EQ(pages, 3);

  auto from_m = clients.List("m", 100);
  ASSERT_TRUE(from_m.ok());
  EXPECT_THAT(ClientIds(*from_m), ElementsAre("z9", "\xc3\xa9"));
  // `after` need not exist.
  auto from_b = clients.List("b", 2);
  ASSERT_TRUE(from_b.ok());
  EXPECT_THAT(ClientIds(*from_b), ElementsAre("m", "z9"));

  ASSERT_TRUE(clients.Delete("m").ok());
  from_b = clients.List("b", 2);
  ASSERT_TRUE(from_b.ok());
  EXPECT_THAT(ClientIds(*from_b), ElementsAre("z9", "\xc3\xa9"));

  EXPECT_EQ(clients.List("", 0).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_P(StoreConformanceTest, ClientListEmpty) {
  auto page = store().clients().List("", 10);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_TRUE(page->empty());
}

// ---- users ------------------------------------------------------------------

TEST_P(StoreConformanceTest, UserCreateGetUpdateDelete) {
  UserStore& users = store().users();
  ASSERT_TRUE(users.Create(MakeUser("alice", "s1")).ok());
  EXPECT_EQ(users.Create(MakeUser("alice", "s2")).code(),
            absl::StatusCode::kAlreadyExists);
  auto got = users.Get("alice");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->user().subject(), "s1");
  EXPECT_EQ((*got)->password_hash(), "$scrypt$...");

  ASSERT_TRUE(users.Update(MakeUser("alice", "s3")).ok());
  got = users.Get("alice");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->user().subject(), "s3");
  EXPECT_EQ(users.Update(MakeUser("bob")).code(), absl::StatusCode::kNotFound);

  ASSERT_TRUE(users.Delete("alice").ok());
  EXPECT_EQ(users.Delete("alice").code(), absl::StatusCode::kNotFound);
  got = users.Get("alice");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
  EXPECT_EQ(users.Create(MakeUser("")).code(), absl::StatusCode::kInvalidArgument);
}

TEST_P(StoreConformanceTest, UserListPaginates) {
  UserStore& users = store().users();
  for (const char* name : {"dave", "carol", "alice", "bob", "eve"}) {
    ASSERT_TRUE(users.Create(MakeUser(name)).ok());
  }
  auto page1 = users.List("", 2);
  ASSERT_TRUE(page1.ok()) << page1.status();
  EXPECT_THAT(Usernames(*page1), ElementsAre("alice", "bob"));
  auto page2 = users.List("bob", 2);
  ASSERT_TRUE(page2.ok());
  EXPECT_THAT(Usernames(*page2), ElementsAre("carol", "dave"));
  auto page3 = users.List("dave", 2);
  ASSERT_TRUE(page3.ok());
  EXPECT_THAT(Usernames(*page3), ElementsAre("eve"));
  auto page4 = users.List("eve", 2);
  ASSERT_TRUE(page4.ok());
  EXPECT_TRUE(page4->empty());
  // Clients and users do not mix.
  auto clients = store().clients().List("", 10);
  ASSERT_TRUE(clients.ok());
  EXPECT_TRUE(clients->empty());
}

// ---- authorization codes -----------------------------------------------------

TEST_P(StoreConformanceTest, CodeSaveAndRedeemRoundTripsEveryField) {
  ASSERT_TRUE(store().codes().Save("h1", FullCode(), absl::Seconds(60)).ok());
  auto result = store().codes().Redeem("h1", GoodRedemption());
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->outcome, Redeem::kRedeemed);
  const AuthorizationCode want = FullCode();
  const AuthorizationCode& got = result->code;
  EXPECT_EQ(got.client_id, want.client_id);
  EXPECT_EQ(got.redirect_uri, want.redirect_uri);
  EXPECT_EQ(got.redirect_uri_in_request, want.redirect_uri_in_request);
  EXPECT_EQ(got.scope, want.scope);
  EXPECT_EQ(got.subject, want.subject);
  EXPECT_EQ(got.username, want.username);
  EXPECT_EQ(got.audiences, want.audiences);
  EXPECT_EQ(got.code_challenge, want.code_challenge);
  EXPECT_EQ(got.code_challenge_method, want.code_challenge_method);
  EXPECT_EQ(got.auth_time, want.auth_time);
  EXPECT_EQ(got.grant_id, want.grant_id);
  EXPECT_EQ(got.granted_at_ms, want.granted_at_ms);
}

TEST_P(StoreConformanceTest, CodeSaveRejectsCollisionAndBadInput) {
  ASSERT_TRUE(store().codes().Save("h1", FullCode(), absl::Seconds(60)).ok());
  EXPECT_EQ(store().codes().Save("h1", FullCode(), absl::Seconds(60)).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store().codes().Save("", FullCode(), absl::Seconds(60)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store().codes().Save("h2", FullCode(), absl::ZeroDuration()).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RedeemOutcome("h2", GoodRedemption()), Redeem::kNotFound);
}

TEST_P(StoreConformanceTest, CodeUnknownIsNotFound) {
  EXPECT_EQ(RedeemOutcome("unknown", GoodRedemption()), Redeem::kNotFound);
}

TEST_P(StoreConformanceTest, CodeMismatchesChangeNothing) {
  ASSERT_TRUE(store().codes().Save("h1", FullCode(), absl::Seconds(60)).ok());

  CodeRedemption r = GoodRedemption();
  r.client_id = "client-2";
  EXPECT_EQ(RedeemOutcome("h1", r), Redeem::kClientMismatch);

  r = GoodRedemption();
  r.redirect_uri = "https://app.example/cb?x=2";
  EXPECT_EQ(RedeemOutcome("h1", r), Redeem::kRedirectMismatch);
  r.redirect_uri = "";
  EXPECT_EQ(RedeemOutcome("h1", r), Redeem::kRedirectMismatch);

  r = GoodRedemption();
  r.code_verifier_s256 = "wrong";
  EXPECT_EQ(RedeemOutcome("h1", r), Redeem::kVerifierMismatch);

  r = GoodRedemption();
  r.code_verifier = "";
  r.code_verifier_s256 = "";
  EXPECT_EQ(RedeemOutcome("h1", r), Redeem::kVerifierMismatch);

  // S256 must not accept the challenge itself as a plain verifier.
  r = GoodRedemption();
  r.code_verifier = FullCode().code_challenge;
  r.code_verifier_s256 = "not-it";
  EXPECT_EQ(RedeemOutcome("h1", r), Redeem::kVerifierMismatch);

  EXPECT_EQ(RedeemOutcome("h1", GoodRedemption()), Redeem::kRedeemed);
}

TEST_P(StoreConformanceTest, CodePkcePlain) {
  AuthorizationCode code = FullCode();
  code.code_challenge = "plain-verifier-value";
  code.code_challenge_method = "plain";
  ASSERT_TRUE(store().codes().Save("h1", code, absl::Seconds(60)).ok());
  CodeRedemption r = GoodRedemption();
  r.code_verifier = "other";
  r.code_verifier_s256 = "plain-verifier-value";  // plain ignores the S256 form
  EXPECT_EQ(RedeemOutcome("h1", r), Redeem::kVerifierMismatch);
  r.code_verifier = "plain-verifier-value";
  EXPECT_EQ(RedeemOutcome("h1", r), Redeem::kRedeemed);
}

TEST_P(StoreConformanceTest, CodeWithoutPkceRejectsAVerifier) {
  AuthorizationCode code = FullCode();
  code.code_challenge.clear();
  code.code_challenge_method.clear();
  ASSERT_TRUE(store().codes().Save("h1", code, absl::Seconds(60)).ok());
  EXPECT_EQ(RedeemOutcome("h1", GoodRedemption()), Redeem::kVerifierMismatch);
  CodeRedemption r = GoodRedemption();
  r.code_verifier.clear();
  r.code_verifier_s256.clear();
  EXPECT_EQ(RedeemOutcome("h1", r), Redeem::kRedeemed);
}

TEST_P(StoreConformanceTest, CodeUnknownChallengeMethodFailsClosed) {
  AuthorizationCode code = FullCode();
  code.code_challenge_method = "S512";
  ASSERT_TRUE(store().codes().Save("h1", code, absl::Seconds(60)).ok());
  EXPECT_EQ(RedeemOutcome("h1", GoodRedemption()), Redeem::kVerifierMismatch);
}

TEST_P(StoreConformanceTest, CodeRedirectCheckedOnlyWhenRequested) {
  AuthorizationCode code = FullCode();
  code.redirect_uri_in_request = false;
  ASSERT_TRUE(store().codes().Save("h1", code, absl::Seconds(60)).ok());
  CodeRedemption r = GoodRedemption();
  r.redirect_uri = "";
  EXPECT_EQ(RedeemOutcome("h1", r), Redeem::kRedeemed);
}

TEST_P(StoreConformanceTest, CodeSecondRedeemReportsTheGrant) {
  ASSERT_TRUE(store().codes().Save("h1", FullCode(), absl::Seconds(60)).ok());
  ASSERT_EQ(RedeemOutcome("h1", GoodRedemption()), Redeem::kRedeemed);
  for (int i = 0; i < 2; ++i) {
    auto result = store().codes().Redeem("h1", GoodRedemption());
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->outcome, Redeem::kAlreadyRedeemed);
    // The grant to revoke (RFC 6749 §4.1.2).
    EXPECT_EQ(result->code.grant_id, "grant-1");
    EXPECT_EQ(result->code.client_id, "client-1");
    EXPECT_EQ(result->code.subject, "sub-42");
  }
  // A replay by anyone is a replay: reported before the client check.
  CodeRedemption stranger = GoodRedemption();
  stranger.client_id = "client-9";
  EXPECT_EQ(RedeemOutcome("h1", stranger), Redeem::kAlreadyRedeemed);
}

TEST_P(StoreConformanceTest, CodeExpires) {
  ASSERT_TRUE(store().codes().Save("live", FullCode(), absl::Seconds(1)).ok());
  ASSERT_TRUE(store().codes().Save("spent", FullCode(), absl::Seconds(1)).ok());
  ASSERT_EQ(RedeemOutcome("spent", GoodRedemption()), Redeem::kRedeemed);
  Advance(absl::Milliseconds(1200));
  EXPECT_EQ(RedeemOutcome("live", GoodRedemption()), Redeem::kNotFound);
  EXPECT_EQ(RedeemOutcome("spent", GoodRedemption()), Redeem::kNotFound);
  // The hash is free again.
  EXPECT_TRUE(store().codes().Save("live", FullCode(), absl::Seconds(1)).ok());
}

// ---- refresh tokens -------------------------------------------------------------

TEST_P(StoreConformanceTest, RefreshCreateAndLookup) {
  RefreshTokenStore& rt = store().refresh_tokens();
  const RefreshGrant grant = Grant("F1");
  ASSERT_TRUE(rt.Create("t1", grant, 3600).ok());
  EXPECT_EQ(rt.Create("t1", grant, 3600).code(), absl::StatusCode::kAlreadyExists);

  auto state = rt.Lookup("F1", "t1");
  ASSERT_TRUE(state.ok()) << state.status();
  ASSERT_TRUE(state->has_value());
  const RefreshGrant& got = (*state)->grant;
  EXPECT_FALSE((*state)->rotated);
  EXPECT_EQ(got.family_id, "F1");
  EXPECT_EQ(got.client_id, grant.client_id);
  EXPECT_EQ(got.subject, grant.subject);
  EXPECT_EQ(got.username, grant.username);
  EXPECT_EQ(got.scope, grant.scope);
  EXPECT_EQ(got.audiences, grant.audiences);
  EXPECT_EQ(got.issued_at, grant.issued_at);
  EXPECT_EQ(got.expires_at, grant.expires_at);
  EXPECT_EQ(got.family_expires_at, grant.family_expires_at);
  EXPECT_EQ(got.granted_at_ms, grant.granted_at_ms);

  for (auto [family, hash] : {std::pair{"F1", "t2"}, std::pair{"F2", "t1"}}) {
    auto none = rt.Lookup(family, hash);
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none->has_value()) << family << "/" << hash;
  }
  // A second token can join the family.
  EXPECT_TRUE(rt.Create("t2", grant, 3600).ok());
}

TEST_P(StoreConformanceTest, RefreshRejectsBadInput) {
  RefreshTokenStore& rt = store().refresh_tokens();
  EXPECT_EQ(rt.Create("", Grant("F1"), 60).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(rt.Create("t1", Grant(""), 60).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(rt.Create("t1", Grant("F1"), 0).code(), absl::StatusCode::kInvalidArgument);
  RefreshGrant unset = Grant("F1");
  unset.expires_at = 0;
  EXPECT_EQ(rt.Create("t1", unset, 60).code(), absl::StatusCode::kInvalidArgument);
  unset = Grant("F1");
  unset.family_expires_at = 0;
  EXPECT_EQ(rt.Create("t1", unset, 60).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(rt.Create("t1", Grant("F1"), 60).ok());
  RefreshRotation r = Rotation("t2");
  EXPECT_EQ(rt.Rotate("", "t1", r).status().code(), absl::StatusCode::kInvalidArgument);
  r.successor_hash = "t1";
  EXPECT_EQ(rt.Rotate("F1", "t1", r).status().code(), absl::StatusCode::kInvalidArgument);
  r = Rotation("t2");
  r.successor_ttl_seconds = 0;
  EXPECT_EQ(rt.Rotate("F1", "t1", r).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(rt.RevokeFamily("").code(), absl::StatusCode::kInvalidArgument);
  // None of that changed anything.
  auto state = rt.Lookup("F1", "t1");
  ASSERT_TRUE(state.ok() && state->has_value());
  EXPECT_FALSE((*state)->rotated);
}

TEST_P(StoreConformanceTest, RefreshRotateChains) {
  RefreshTokenStore& rt = store().refresh_tokens();
  ASSERT_TRUE(rt.Create("t1", Grant("F1"), 3600).ok());

  RefreshRotation r = Rotation("t2");
  r.successor_ttl_seconds = 7200;
  auto result = rt.Rotate("F1", "t1", r);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->outcome, Rotate::kRotated);
  EXPECT_EQ(result->grant.family_id, "F1");
  EXPECT_EQ(result->grant.client_id, "client-1");
  EXPECT_EQ(result->grant.subject, "sub-42");
  EXPECT_EQ(result->grant.username, "alice");
  EXPECT_EQ(result->grant.scope, "a b c");
  EXPECT_EQ(result->grant.audiences, Grant("F1").audiences);
  EXPECT_EQ(result->grant.issued_at, r.now);
  EXPECT_EQ(result->grant.expires_at, r.now + 7200);
  EXPECT_EQ(result->grant.family_expires_at, Grant("F1").family_expires_at);
  EXPECT_EQ(result->grant.granted_at_ms, Grant("F1").granted_at_ms);

  auto old_state = rt.Lookup("F1", "t1");
  ASSERT_TRUE(old_state.ok() && old_state->has_value());
  EXPECT_TRUE((*old_state)->rotated);
  auto new_state = rt.Lookup("F1", "t2");
  ASSERT_TRUE(new_state.ok() && new_state->has_value());
  EXPECT_FALSE((*new_state)->rotated);
  EXPECT_EQ((*new_state)->grant.expires_at, r.now + 7200);

  auto next = rt.Rotate("F1", "t2", Rotation("t3"));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->outcome, Rotate::kRotated);
}

// RFC 6749 §6: "the new refresh token ... scope MUST be identical to that of
// the refresh token included by the client in the request". A narrower
// request is checked against the grant but narrows only the access token,
// which the caller mints.
TEST_P(StoreConformanceTest, RefreshRotateKeepsTheGrantScope) {
  RefreshTokenStore& rt = store().refresh_tokens();
  ASSERT_TRUE(rt.Create("t1", Grant("F1"), 3600).ok());
  RefreshRotation r = Rotation("t2");
  r.requested_scope = "c  a c";
  auto result = rt.Rotate("F1", "t1", r);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->outcome, Rotate::kRotated);
  EXPECT_EQ(result->grant.scope, "a b c");

  // The successor still holds all of it: "b" can be asked for again.
  RefreshRotation b_only = Rotation("t3");
  b_only.requested_scope = "b";
  auto again = rt.Rotate("F1", "t2", b_only);
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->outcome, Rotate::kRotated);
  EXPECT_EQ(again->grant.scope, "a b c");
  auto kept = rt.Lookup("F1", "t3");
  ASSERT_TRUE(kept.ok() && kept->has_value());
  EXPECT_EQ((*kept)->grant.scope, "a b c");
}

TEST_P(StoreConformanceTest, RefreshWidenedScopeChangesNothing) {
  RefreshTokenStore& rt = store().refresh_tokens();
  ASSERT_TRUE(rt.Create("t1", Grant("F1"), 3600).ok());
  RefreshRotation r = Rotation("t2");
  r.requested_scope = "a d";
  auto result = rt.Rotate("F1", "t1", r);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->outcome, Rotate::kScopeWidened);
  auto state = rt.Lookup("F1", "t1");
  ASSERT_TRUE(state.ok() && state->has_value());
  EXPECT_FALSE((*state)->rotated);
  auto missing = rt.Lookup("F1", "t2");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  auto ok = rt.Rotate("F1", "t1", Rotation("t2"));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->outcome, Rotate::kRotated);
}

TEST_P(StoreConformanceTest, RefreshForeignClientChangesNothing) {
  RefreshTokenStore& rt = store().refresh_tokens();
  ASSERT_TRUE(rt.Create("t1", Grant("F1"), 3600).ok());
  RefreshRotation r = Rotation("t2");
  r.client_id = "client-2";
  auto result = rt.Rotate("F1", "t1", r);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->outcome, Rotate::kClientMismatch);
  // Even on a rotated token a foreign client cannot trigger revocation.
  ASSERT_EQ(rt.Rotate("F1", "t1", Rotation("t2"))->outcome, Rotate::kRotated);
  r.successor_hash = "t9";
  EXPECT_EQ(rt.Rotate("F1", "t1", r)->outcome, Rotate::kClientMismatch);
  auto state = rt.Lookup("F1", "t2");
  ASSERT_TRUE(state.ok());
  EXPECT_TRUE(state->has_value());
}

TEST_P(StoreConformanceTest, RefreshReuseRevokesFamily) {
  RefreshTokenStore& rt = store().refresh_tokens();
  ASSERT_TRUE(rt.Create("t1", Grant("F1"), 3600).ok());
  ASSERT_TRUE(rt.Create("other", Grant("F2"), 3600).ok());
  ASSERT_EQ(rt.Rotate("F1", "t1", Rotation("t2"))->outcome, Rotate::kRotated);

  auto reuse = rt.Rotate("F1", "t1", Rotation("t3"));
  ASSERT_TRUE(reuse.ok()) << reuse.status();
  EXPECT_EQ(reuse->outcome, Rotate::kReuseDetected);
  EXPECT_EQ(reuse->grant.subject, "sub-42");
  EXPECT_EQ(reuse->grant.family_id, "F1");

  for (const char* hash : {"t1", "t2", "t3"}) {
    auto state = rt.Lookup("F1", hash);
    ASSERT_TRUE(state.ok());
    EXPECT_FALSE(state->has_value()) << hash;
  }
  EXPECT_EQ(rt.Rotate("F1", "t2", Rotation("t4"))->outcome, Rotate::kNotFound);
  EXPECT_EQ(rt.Rotate("F1", "t1", Rotation("t4"))->outcome, Rotate::kNotFound);
  // New tokens cannot join a revoked family.
  EXPECT_EQ(rt.Create("t5", Grant("F1"), 3600).code(),
            absl::StatusCode::kFailedPrecondition);
  // Other families are unaffected.
  auto other = rt.Lookup("F2", "other");
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->has_value());
}

// A caller whose answer was lost (a Redis failover) asks again with the same
// successor: the same rotation, nothing written. Any other successor for the
// same token is still reuse.
TEST_P(StoreConformanceTest, RefreshRotateRepeatedByItsCallerIsTheSameRotation) {
  RefreshTokenStore& rt = store().refresh_tokens();
  ASSERT_TRUE(rt.Create("t1", Grant("F1"), 3600).ok());
  const RefreshRotation first = Rotation("t2");
  auto rotated = rt.Rotate("F1", "t1", first);
  ASSERT_TRUE(rotated.ok()) << rotated.status();
  ASSERT_EQ(rotated->outcome, Rotate::kRotated);

  RefreshRotation again = first;
  again.now = first.now + 1;
  auto repeated = rt.Rotate("F1", "t1", again);
  ASSERT_TRUE(repeated.ok()) << repeated.status();
  EXPECT_EQ(repeated->outcome, Rotate::kRotated);
  EXPECT_EQ(repeated->grant.family_id, "F1");
  EXPECT_EQ(repeated->grant.subject, "sub-42");
  EXPECT_EQ(repeated->grant.username, "alice");
  EXPECT_EQ(repeated->grant.scope, rotated->grant.scope);
  EXPECT_EQ(repeated->grant.audiences, rotated->grant.audiences);
  EXPECT_EQ(repeated->grant.issued_at, rotated->grant.issued_at);
  EXPECT_EQ(repeated->grant.expires_at, rotated->grant.expires_at);
  EXPECT_EQ(repeated->grant.family_expires_at, rotated->grant.family_expires_at);
  EXPECT_EQ(repeated->grant.granted_at_ms, rotated->grant.granted_at_ms);
  // The successor is live and unused; the family is not revoked.
  auto t2 = rt.Lookup("F1", "t2");
  ASSERT_TRUE(t2.ok());
  ASSERT_TRUE(t2->has_value());
  EXPECT_FALSE((*t2)->rotated);

  // Someone else presenting t1 (another successor) is reuse.
  auto reuse = rt.Rotate("F1", "t1", Rotation("t3"));
  ASSERT_TRUE(reuse.ok());
  EXPECT_EQ(reuse->outcome, Rotate::kReuseDetected);
  // ... after which not even the original caller's repeat works.
  auto after = rt.Rotate("F1", "t1", first);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->outcome, Rotate::kNotFound);
}

TEST_P(StoreConformanceTest, RefreshGraceReplayReturnsFirstSuccessor) {
  RefreshTokenStore& rt = store().refresh_tokens();
  ASSERT_TRUE(rt.Create("t1", Grant("F1"), 3600).ok());
  RefreshRotation first = Rotation("t2", /*grace=*/30, "sealed-t2");
  first.requested_scope = "a";
  auto rotated = rt.Rotate("F1", "t1", first);
  ASSERT_TRUE(rotated.ok()) << rotated.status();
  ASSERT_EQ(rotated->outcome, Rotate::kRotated);

  RefreshRotation replay = Rotation("t3", 30, "sealed-t3");
  replay.now = first.now + 30;
  auto result = rt.Rotate("F1", "t1", replay);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->outcome, Rotate::kGraceReplay);
  EXPECT_EQ(result->sealed_successor, "sealed-t2");
  EXPECT_EQ(result->grant.family_id, "F1");
  EXPECT_EQ(result->grant.scope, "a b c");  // the grant's, not the request's
  EXPECT_EQ(result->grant.granted_at_ms, Grant("F1").granted_at_ms);
  EXPECT_EQ(result->grant.issued_at, first.now);
  EXPECT_EQ(result->grant.expires_at, rotated->grant.expires_at);
  EXPECT_EQ(result->grant.subject, "sub-42");
  // The replay created nothing and left the successor valid.
  auto t3 = rt.Lookup("F1", "t3");
  ASSERT_TRUE(t3.ok());
  EXPECT_FALSE(t3->has_value());
  auto t2 = rt.Lookup("F1", "t2");
  ASSERT_TRUE(t2.ok());
  EXPECT_TRUE(t2->has_value());

  replay.now = first.now + 31;
  auto late = rt.Rotate("F1", "t1", replay);
  ASSERT_TRUE(late.ok());
  EXPECT_EQ(late->outcome, Rotate::kReuseDetected);
  t2 = rt.Lookup("F1", "t2");
  ASSERT_TRUE(t2.ok());
  EXPECT_FALSE(t2->has_value());
}

// The retry window (RefreshRotation::retry_grace_seconds): a client whose
// answer was lost presents the old token again with a new successor of its
// call. While the first successor is unused, it gets that one back (sealed);
// nothing is written and the grant lives on. Without the window this is the
// reuse of RefreshReuseRevokesFamily: the failover test's lost refresh.
TEST_P(StoreConformanceTest, RefreshRetryAfterALostAnswerGetsTheFirstSuccessor) {
  RefreshTokenStore& rt = store().refresh_tokens();
  ASSERT_TRUE(rt.Create("t1", Grant("F1"), 3600).ok());
  RefreshRotation first = Rotation("t2", /*grace=*/0, "sealed-t2");
  first.retry_grace_seconds = 10;
  ASSERT_EQ(rt.Rotate("F1", "t1", first)->outcome, Rotate::kRotated);

  RefreshRotation retry = Rotation("t3", /*grace=*/0, "sealed-t3");
  retry.retry_grace_seconds = 10;
  retry.now = first.now + 10;
  for (int i = 0; i < 2; ++i) {  // as often as the answers get lost
    auto result = rt.Rotate("F1", "t1", retry);
    ASSERT_TRUE(result.ok()) << result.status();
    ASSERT_EQ(result->outcome, Rotate::kGraceReplay);
    EXPECT_EQ(result->sealed_successor, "sealed-t2");
    EXPECT_EQ(result->grant.family_id, "F1");
    EXPECT_EQ(result->grant.subject, "sub-42");
    EXPECT_EQ(result->grant.scope, "a b c");
    EXPECT_EQ(result->grant.issued_at, first.now);
  }
  auto t3 = rt.Lookup("F1", "t3");
  ASSERT_TRUE(t3.ok());
  EXPECT_FALSE(t3->has_value());
  auto t2 = rt.Lookup("F1", "t2");
  ASSERT_TRUE(t2.ok());
  ASSERT_TRUE(t2->has_value());
  EXPECT_FALSE((*t2)->rotated);
  // The successor works as usual afterwards.
  EXPECT_EQ(rt.Rotate("F1", "t2", Rotation("t4"))->outcome, Rotate::kRotated);
}

// Once the successor has been presented, the old token is not a retry: the
// answer reached someone. Reuse, at once and inside the window.
TEST_P(StoreConformanceTest, RefreshRetryAfterTheSuccessorWasUsedIsReuse) {
  RefreshTokenStore& rt = store().refresh_tokens();
  ASSERT_TRUE(rt.Create("t1", Grant("F1"), 3600).ok());
  RefreshRotation first = Rotation("t2");
  first.retry_grace_seconds = 10;
  ASSERT_EQ(rt.Rotate("F1", "t1", first)->outcome, Rotate::kRotated);
  ASSERT_EQ(rt.Rotate("F1", "t2", Rotation("t3"))->outcome, Rotate::kRotated);

  RefreshRotation retry = Rotation("t4");
  retry.retry_grace_seconds = 10;
  auto result = rt.Rotate("F1", "t1", retry);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->outcome, Rotate::kReuseDetected);
  for (const char* hash : {"t2", "t3", "t4"}) {
    auto state = rt.Lookup("F1", hash);
    ASSERT_TRUE(state.ok());
    EXPECT_FALSE(state->has_value()) << hash;
  }
}

TEST_P(StoreConformanceTest, RefreshRetryAfterTheWindowIsReuse) {
  RefreshTokenStore& rt = store().refresh_tokens();
  ASSERT_TRUE(rt.Create("t1", Grant("F1"), 3600).ok());
  RefreshRotation first = Rotation("t2");
  first.retry_grace_seconds = 10;
  ASSERT_EQ(rt.Rotate("F1", "t1", first)->outcome, Rotate::kRotated);

  RefreshRotation late = Rotation("t3");
  late.retry_grace_seconds = 10;
  late.now = first.now + 11;
  EXPECT_EQ(rt.Rotate("F1", "t1", late)->outcome, Rotate::kReuseDetected);
  auto t2 = rt.Lookup("F1", "t2");
  ASSERT_TRUE(t2.ok());
  EXPECT_FALSE(t2->has_value());
}

TEST_P(StoreConformanceTest, RefreshNegativeRetryWindowIsInvalid) {
  RefreshTokenStore& rt = store().refresh_tokens();
  ASSERT_TRUE(rt.Create("t1", Grant("F1"), 3600).ok());
  RefreshRotation r = Rotation("t2");
  r.retry_grace_seconds = -1;
  EXPECT_EQ(rt.Rotate("F1", "t1", r).status().code(), absl::StatusCode::kInvalidArgument);
  auto t1 = rt.Lookup("F1", "t1");
  ASSERT_TRUE(t1.ok() && t1->has_value());
  EXPECT_FALSE((*t1)->rotated);
}

TEST_P(StoreConformanceTest, RefreshExpiryByTimestamps) {
  RefreshTokenStore& rt = store().refresh_tokens();
  RefreshGrant grant = Grant("F1", /*ttl=*/100, /*family_ttl=*/1000);
  ASSERT_TRUE(rt.Create("t1", grant, 3600).ok());
  RefreshRotation r = Rotation("t2");
  r.now = grant.expires_at;  // expires_at <= now
  EXPECT_EQ(rt.Rotate("F1", "t1", r)->outcome, Rotate::kNotFound);

  RefreshGrant short_family = Grant("F2", /*ttl=*/3600, /*family_ttl=*/50);
  ASSERT_TRUE(rt.Create("u1", short_family, 3600).ok());
  r = Rotation("u2");
  r.now = short_family.family_expires_at;
  EXPECT_EQ(rt.Rotate("F2", "u1", r)->outcome, Rotate::kNotFound);

  // The successor never outlives the family.
  r = Rotation("u2");
  r.successor_ttl_seconds = 100000;
  auto result = rt.Rotate("F2", "u1", r);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->outcome, Rotate::kRotated);
  EXPECT_EQ(result->grant.expires_at, short_family.family_expires_at);
}

TEST_P(StoreConformanceTest, RefreshExpiryByTtl) {
  RefreshTokenStore& rt = store().refresh_tokens();
  ASSERT_TRUE(rt.Create("t1", Grant("F1"), /*ttl_seconds=*/1).ok());
  ASSERT_TRUE(rt.Create("u1", Grant("F2", 3600, /*family_ttl=*/1), 3600).ok());
  auto t1 = rt.Lookup("F1", "t1");
  ASSERT_TRUE(t1.ok());
  EXPECT_TRUE(t1->has_value());
  Advance(absl::Milliseconds(2100));
  t1 = rt.Lookup("F1", "t1");
  ASSERT_TRUE(t1.ok());
  EXPECT_FALSE(t1->has_value());
  auto u1 = rt.Lookup("F2", "u1");
  ASSERT_TRUE(u1.ok());
  EXPECT_FALSE(u1->has_value());  // the family ended
  RefreshRotation r = Rotation("t2");
  EXPECT_EQ(rt.Rotate("F1", "t1", r)->outcome, Rotate::kNotFound);
}

TEST_P(StoreConformanceTest, RefreshRevokeFamily) {
  RefreshTokenStore& rt = store().refresh_tokens();
  ASSERT_TRUE(rt.Create("t1", Grant("F1"), 3600).ok());
  ASSERT_TRUE(rt.Create("t2", Grant("F1"), 3600).ok());
  ASSERT_TRUE(rt.RevokeFamily("F1").ok());
  ASSERT_TRUE(rt.RevokeFamily("F1").ok());
  for (const char* hash : {"t1", "t2"}) {
    auto state = rt.Lookup("F1", hash);
    ASSERT_TRUE(state.ok());
    EXPECT_FALSE(state->has_value());
  }
  EXPECT_EQ(rt.Rotate("F1", "t1", Rotation("t3"))->outcome, Rotate::kNotFound);

  // Revoking a family nobody has seen yet succeeds and wins over a later
  // Create (a replayed code revoking the family its first redemption is
  // still creating).
  ASSERT_TRUE(rt.RevokeFamily("F-new").ok());
  EXPECT_EQ(rt.Create("n1", Grant("F-new"), 3600).code(),
            absl::StatusCode::kFailedPrecondition);
  auto state = rt.Lookup("F-new", "n1");
  ASSERT_TRUE(state.ok());
  EXPECT_FALSE(state->has_value());
}

// ---- grants --------------------------------------------------------------------

TEST_P(StoreConformanceTest, GrantWithoutRefreshToken) {
  RefreshTokenStore& rt = store().refresh_tokens();
  RefreshGrant g = Grant("G1");
  g.grant_expires_at = Now() + 600;
  ASSERT_TRUE(rt.CreateGrant(g).ok());
  EXPECT_EQ(rt.CreateGrant(g).code(), absl::StatusCode::kAlreadyExists);
  RevocationQuery q;
  q.grant_id = "G1";
  auto state = store().revocations().Check(q);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_TRUE(state->grant_found);
  EXPECT_FALSE(state->grant_revoked);
  EXPECT_EQ(state->granted_at_ms, g.granted_at_ms);

  // Revoked before it started (a replayed code): it cannot start afterwards.
  ASSERT_TRUE(rt.RevokeFamily("G2").ok());
  RefreshGrant g2 = Grant("G2");
  g2.grant_expires_at = Now() + 600;
  EXPECT_EQ(rt.CreateGrant(g2).code(), absl::StatusCode::kFailedPrecondition);

  RefreshGrant bad = Grant("");
  bad.grant_expires_at = Now() + 600;
  EXPECT_EQ(rt.CreateGrant(bad).code(), absl::StatusCode::kInvalidArgument);
  bad = Grant("G3");  // no grant_expires_at
  EXPECT_EQ(rt.CreateGrant(bad).code(), absl::StatusCode::kInvalidArgument);
  q.grant_id = "G3";
  EXPECT_FALSE(store().revocations().Check(q)->grant_found);
}

TEST_P(StoreConformanceTest, GrantRecordOutlivesItsFamilyWhenAsked) {
  RefreshTokenStore& rt = store().refresh_tokens();
  RefreshGrant g = Grant("F1", /*ttl=*/1, /*family_ttl=*/1);
  g.grant_expires_at = Now() + 3600;  // access tokens minted late live on
  ASSERT_TRUE(rt.Create("t1", g, 1).ok());
  Advance(absl::Milliseconds(2100));
  RevocationQuery q;
  q.grant_id = "F1";
  auto state = store().revocations().Check(q);
  ASSERT_TRUE(state.ok());
  EXPECT_TRUE(state->grant_found);
  EXPECT_FALSE(state->grant_revoked);
  auto gone = rt.Lookup("F1", "t1");
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
}

TEST_P(StoreConformanceTest, ListGrantsOfASubject) {
  RefreshTokenStore& rt = store().refresh_tokens();
  ASSERT_TRUE(rt.Create("t1", Grant("F1", 3600, 1000), 3600).ok());
  RefreshGrant password_login = Grant("F2");
  password_login.client_id = "client-2";
  password_login.scope = "x";
  password_login.grant_expires_at = Now() + 600;
  ASSERT_TRUE(rt.CreateGrant(password_login).ok());
  RefreshGrant someone_else = Grant("F3");
  someone_else.subject = "sub-7";
  ASSERT_TRUE(rt.Create("t3", someone_else, 3600).ok());
  ASSERT_TRUE(rt.Create("t4", Grant("F4", 3600, 2000), 3600).ok());
  ASSERT_TRUE(rt.RevokeFamily("F4").ok());

  Advance(absl::Seconds(1));
  ASSERT_EQ(rt.Rotate("F1", "t1", Rotation("t1b"))->outcome, Rotate::kRotated);

  auto listed = rt.ListGrants("sub-42", 10);
  ASSERT_TRUE(listed.ok()) << listed.status();
  // By end: F2 (600 s), then F1 (1000 s); F4 is revoked, F3 not sub-42's.
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].grant_id, "F2");
  EXPECT_EQ((*listed)[0].client_id, "client-2");
  EXPECT_EQ((*listed)[0].scope, "x");
  EXPECT_EQ((*listed)[0].granted_at_ms, password_login.granted_at_ms);
  EXPECT_EQ((*listed)[0].last_used_at, password_login.issued_at);
  EXPECT_EQ((*listed)[0].expires_at, password_login.grant_expires_at);
  EXPECT_EQ((*listed)[1].grant_id, "F1");
  EXPECT_EQ((*listed)[1].last_used_at, Now());  // the rotation
  EXPECT_EQ((*listed)[1].scope, "a b c");

  auto first = rt.ListGrants("sub-42", 1);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ((*first)[0].grant_id, "F2");
  EXPECT_TRUE(rt.ListGrants("nobody", 10)->empty());
  EXPECT_EQ(rt.ListGrants("", 10).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(rt.ListGrants("sub-42", 0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// ---- revocations -------------------------------------------------------------------

TEST_P(StoreConformanceTest, CheckReadsEveryRevocationLevel) {
  RefreshTokenStore& rt = store().refresh_tokens();
  RevocationStore& rev = store().revocations();
  ASSERT_TRUE(rt.Create("t1", Grant("F1"), 3600).ok());
  ASSERT_TRUE(rt.Create("t2", Grant("F2"), 3600).ok());
  RevocationQuery q;
  q.jti = "jti-1";
  q.grant_id = "F1";
  q.user_subject = "sub-42";
  q.client_id = "client-1";
  auto fresh = rev.Check(q);
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_FALSE(fresh->jti_revoked);
  EXPECT_TRUE(fresh->grant_found);
  EXPECT_FALSE(fresh->grant_revoked);
  EXPECT_EQ(fresh->granted_at_ms, Grant("F1").granted_at_ms);
  EXPECT_EQ(fresh->user_not_before_ms, 0);
  EXPECT_EQ(fresh->client_not_before_ms, 0);

  ASSERT_TRUE(rev.Revoke("jti-1", absl::Seconds(60)).ok());
  EXPECT_TRUE(rev.Check(q)->jti_revoked);
  ASSERT_TRUE(rev.RevokeOwner(Owner::kUser, "sub-42", 1700000000500, absl::Seconds(60)).ok());
  ASSERT_TRUE(rev.RevokeOwner(Owner::kClient, "client-1", 1700000000900, absl::Seconds(60)).ok());
  ASSERT_TRUE(rt.RevokeFamily("F1").ok());
  auto all = rev.Check(q);
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->jti_revoked);
  EXPECT_TRUE(all->grant_found);
  EXPECT_TRUE(all->grant_revoked);
  EXPECT_EQ(all->user_not_before_ms, 1700000000500);
  EXPECT_EQ(all->client_not_before_ms, 1700000000900);

  // Nothing else moved: another grant, user, client and jti.
  RevocationQuery other;
  other.jti = "jti-2";
  other.grant_id = "F2";
  other.user_subject = "sub-7";
  other.client_id = "client-2";
  auto untouched = rev.Check(other);
  ASSERT_TRUE(untouched.ok());
  EXPECT_FALSE(untouched->jti_revoked);
  EXPECT_TRUE(untouched->grant_found);
  EXPECT_FALSE(untouched->grant_revoked);
  EXPECT_EQ(untouched->user_not_before_ms, 0);
  EXPECT_EQ(untouched->client_not_before_ms, 0);
  // Asking nothing reads nothing.
  auto none = rev.Check(RevocationQuery());
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->grant_found);
  other.grant_id = "never";
  EXPECT_FALSE(rev.Check(other)->grant_found);
}

TEST_P(StoreConformanceTest, OwnerNotBeforeOnlyMovesForwardAndExpires) {
  RevocationStore& rev = store().revocations();
  EXPECT_EQ(*rev.OwnerNotBefore(Owner::kUser, "sub-42"), 0);
  ASSERT_TRUE(rev.RevokeOwner(Owner::kUser, "sub-42", 2000, absl::Seconds(1)).ok());
  ASSERT_TRUE(rev.RevokeOwner(Owner::kUser, "sub-42", 1000, absl::Seconds(1)).ok());
  EXPECT_EQ(*rev.OwnerNotBefore(Owner::kUser, "sub-42"), 2000);
  // Users and clients are separate even under one id.
  EXPECT_EQ(*rev.OwnerNotBefore(Owner::kClient, "sub-42"), 0);
  ASSERT_TRUE(rev.RevokeOwner(Owner::kClient, "sub-42", 3000, absl::Seconds(60)).ok());
  EXPECT_EQ(*rev.OwnerNotBefore(Owner::kUser, "sub-42"), 2000);
  Advance(absl::Milliseconds(1200));
  EXPECT_EQ(*rev.OwnerNotBefore(Owner::kUser, "sub-42"), 0);
  EXPECT_EQ(*rev.OwnerNotBefore(Owner::kClient, "sub-42"), 3000);

  EXPECT_EQ(rev.RevokeOwner(Owner::kUser, "", 1, absl::Seconds(1)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(rev.RevokeOwner(Owner::kUser, "u", 0, absl::Seconds(1)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(rev.RevokeOwner(Owner::kUser, "u", 1, absl::ZeroDuration()).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*rev.OwnerNotBefore(Owner::kUser, "u"), 0);
}


TEST_P(StoreConformanceTest, RevocationsExpire) {
  RevocationStore& rev = store().revocations();
  auto before = rev.IsRevoked("jti-1");
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_FALSE(*before);
  ASSERT_TRUE(rev.Revoke("jti-1", absl::Seconds(1)).ok());
  ASSERT_TRUE(rev.Revoke("jti-1", absl::Seconds(1)).ok());
  ASSERT_TRUE(rev.Revoke("jti-long", absl::Seconds(60)).ok());
  EXPECT_TRUE(*rev.IsRevoked("jti-1"));
  EXPECT_FALSE(*rev.IsRevoked("jti-2"));
  Advance(absl::Milliseconds(1200));
  EXPECT_FALSE(*rev.IsRevoked("jti-1"));
  EXPECT_TRUE(*rev.IsRevoked("jti-long"));

  EXPECT_EQ(rev.Revoke("", absl::Seconds(1)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(rev.Revoke("j", absl::ZeroDuration()).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(rev.Revoke("j", absl::Seconds(-5)).code(),
            absl::StatusCode::kInvalidArgument);
}

// ---- counters ------------------------------------------------------------------------

TEST_P(StoreConformanceTest, CountersCountWithinAWindow) {
  CounterStore& counters = store().counters();
  EXPECT_EQ(*counters.Get("login:alice"), 0);
  EXPECT_EQ(*counters.Increment("login:alice", absl::Seconds(60)), 1);
  EXPECT_EQ(*counters.Increment("login:alice", absl::Seconds(60)), 2);
  EXPECT_EQ(*counters.Increment("login:alice", absl::Seconds(60)), 3);
  EXPECT_EQ(*counters.Increment("login:bob", absl::Seconds(60)), 1);
  EXPECT_EQ(*counters.Get("login:alice"), 3);
  ASSERT_TRUE(counters.Reset("login:alice").ok());
  EXPECT_EQ(*counters.Get("login:alice"), 0);
  ASSERT_TRUE(counters.Reset("never").ok());
  EXPECT_EQ(*counters.Get("login:bob"), 1);
  EXPECT_EQ(counters.Increment("", absl::Seconds(1)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(counters.Increment("k", absl::ZeroDuration()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(StoreConformanceTest, DecrementTakesOneBackWithoutCreatingOrGoingNegative) {
  CounterStore& counters = store().counters();
  ASSERT_TRUE(counters.Decrement("absent").ok());
  EXPECT_EQ(*counters.Get("absent"), 0);
  EXPECT_EQ(*counters.Increment("absent", absl::Seconds(1)), 1);  // a fresh window
  ASSERT_EQ(*counters.Increment("k", absl::Seconds(1)), 1);
  ASSERT_EQ(*counters.Increment("k", absl::Seconds(1)), 2);
  ASSERT_TRUE(counters.Decrement("k").ok());
  EXPECT_EQ(*counters.Get("k"), 1);
  // The window is kept: it still ends one second after the first increment.
  Advance(absl::Milliseconds(1100));
  EXPECT_EQ(*counters.Get("k"), 0);
  ASSERT_EQ(*counters.Increment("z", absl::Seconds(1)), 1);
  ASSERT_TRUE(counters.Decrement("z").ok());
  ASSERT_TRUE(counters.Decrement("z").ok());
  EXPECT_EQ(*counters.Get("z"), 0);
}

TEST_P(StoreConformanceTest, CounterWindowStartsAtFirstIncrement) {
  CounterStore& counters = store().counters();
  ASSERT_EQ(*counters.Increment("k", absl::Seconds(1)), 1);
  Advance(absl::Milliseconds(500));
  // A later increment does not extend the window.
  ASSERT_EQ(*counters.Increment("k", absl::Seconds(1)), 2);
  Advance(absl::Milliseconds(700));
  EXPECT_EQ(*counters.Get("k"), 0);
  EXPECT_EQ(*counters.Increment("k", absl::Seconds(1)), 1);
}

// ---- one-time values (client assertion jti) ------------------------------------

TEST_P(StoreConformanceTest, ReplayMarkUsedOnceUntilTheTtlEnds) {
  ReplayStore& replays = store().replays();
  EXPECT_TRUE(*replays.MarkUsed("jti:client-1:abc", absl::Seconds(1)));
  EXPECT_FALSE(*replays.MarkUsed("jti:client-1:abc", absl::Seconds(60)));
  // Another key, another client: independent.
  EXPECT_TRUE(*replays.MarkUsed("jti:client-2:abc", absl::Seconds(1)));
  // A replay does not extend the record: it ends 1 s after the first use.
  Advance(absl::Milliseconds(1100));
  EXPECT_TRUE(*replays.MarkUsed("jti:client-1:abc", absl::Seconds(1)));
  EXPECT_FALSE(*replays.MarkUsed("jti:client-1:abc", absl::Seconds(1)));
}

TEST_P(StoreConformanceTest, ReplayRejectsBadInputWithoutRecording) {
  ReplayStore& replays = store().replays();
  EXPECT_EQ(replays.MarkUsed("", absl::Seconds(1)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(replays.MarkUsed("k", absl::ZeroDuration()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(replays.MarkUsed("k", absl::Microseconds(999)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(*replays.MarkUsed("k", absl::Seconds(1)));
}

TEST_P(StoreConformanceTest, PingAnswers) { EXPECT_TRUE(store().Ping().ok()); }

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformanceTest,
                         ::testing::Values(Backend::kMemory, Backend::kRedis),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return testing_internal::BackendName(info.param);
                         });

}  // namespace
}  // namespace oauthd::storage

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(
      new oauthd::test_support::RedisServerEnvironment());
  return RUN_ALL_TESTS();
}
