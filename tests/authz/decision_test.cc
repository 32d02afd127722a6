// The API-gateway decision on the memory store with a fake clock, and its
// translation to Envoy's CheckResponse. The same cases over real gRPC against
// real oauthd + Redis are in tests/integration/authz_check_test.cc.

#include "server/authz/decision.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/core/refresh_token_format.h"
#include "server/core/revocation.h"
#include "server/grpc/authorization_service.h"
#include "server/jose/base64url.h"
#include "server/jose/key_generation.h"
#include "server/jose/signing_key.h"
#include "storage/memory/memory_store.h"

namespace oauthd::authz {
namespace {

using ::testing::HasSubstr;
namespace auth = envoy::service::auth::v3;

constexpr char kPolicy[] = R"(
rules:
  - path_prefix: /public
    anonymous: true
  - path_prefix: /orders
    methods: [GET]
    audience: orders-api
    scopes: [orders.read]
  - path_prefix: /orders
    audience: orders-api
    scopes: [orders.write]
)";

std::shared_ptr<const jose::SigningKey> NewKey() {
  auto pem = jose::GeneratePrivateKeyPem(jose::Algorithm::kEs256);
  return std::make_shared<const jose::SigningKey>(*jose::SigningKey::FromPem(*pem));
}

class DecisionTest : public ::testing::Test {
 protected:
  DecisionTest()
      : key_(NewKey()),
        store_(storage::NewMemoryStore([this] { return Now(); })),
        issuer_("https://issuer.test", {key_}, [this] { return Now(); }),
        policy_(*ParsePolicy(kPolicy)),
        decider_(issuer_, &policy_, store_->revocations(), absl::Seconds(5)) {}

  absl::Time Now() const { return absl::FromUnixMillis(now_ms_.load()); }
  void Advance(absl::Duration d) { now_ms_ += absl::ToInt64Milliseconds(d); }

  MintedAccessToken Mint(std::vector<std::string> scopes,
                         std::vector<std::string> audiences = {"orders-api"},
                         std::string grant_id = "") {
    Authorization a;
    a.client_id = "app";
    a.subject = grant_id.empty() ? "app" : "u_alice";
    a.scopes = std::move(scopes);
    a.audiences = std::move(audiences);
    a.grant_id = std::move(grant_id);
    return *issuer_.Mint(a, absl::Minutes(10));
  }

  AccessDecision Decide(const std::string& authorization, const std::string& path = "/orders/7",
                        const std::string& method = "GET") {
    return decider_.Decide({method, "api.test", path, authorization});
  }

  std::atomic<int64_t> now_ms_{1800000000000};
  std::shared_ptr<const jose::SigningKey> key_;
  std::unique_ptr<storage::Store> store_;
  TokenIssuer issuer_;
  Policy policy_;
  Decider decider_;
};

TEST_F(DecisionTest, AllowsAValidTokenAndNamesTheCaller) {
  const auto token = Mint({"orders.read", "other"});
  AccessDecision d = Decide("Bearer " + token.token);
  EXPECT_TRUE(d.allowed) << d.reason;
  EXPECT_EQ(d.http_status, 200);
  EXPECT_EQ(d.subject, "app");
  EXPECT_EQ(d.client_id, "app");
  EXPECT_EQ(d.scope, "orders.read other");
  EXPECT_TRUE(Decide("bEaReR " + token.token).allowed);  // scheme is case-insensitive
}

TEST_F(DecisionTest, MissingOrForeignCredentialsGetABareChallenge) {
  for (const std::string& header : {std::string(), std::string("Basic YXBwOnNlY3JldA=="),
                                    std::string("Digest x")}) {
    AccessDecision d = Decide(header);
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.http_status, 401) << header;
    EXPECT_EQ(d.www_authenticate, "Bearer") << header;  // RFC 6750 §3.1: no error code
  }
}

TEST_F(DecisionTest, MalformedBearerIsInvalidRequest) {
  for (const char* header : {"Bearer", "Bearer ", "Bearer a b", "Bearer a\"b"}) {
    AccessDecision d = Decide(header);
    EXPECT_EQ(d.http_status, 400) << header;
    EXPECT_THAT(d.www_authenticate, HasSubstr("error=\"invalid_request\"")) << header;
  }
}

TEST_F(DecisionTest, BadTokensAreInvalidToken) {
  const auto valid = Mint({"orders.read"});
  std::vector<std::string> parts = absl::StrSplit(valid.token, '.');
  // Signed by another key under our kid.
  const auto other = NewKey();
  const std::string header = jose::Base64UrlEncode(absl::StrCat(
      R"({"alg":"ES256","typ":"at+jwt","kid":")", key_->kid(), R"("})"));
  const std::string input = absl::StrCat(header, ".", parts[1]);
  const std::string forged = absl::StrCat(input, ".", jose::Base64UrlEncode(*other->Sign(input)));
  const std::string none = absl::StrCat(
      jose::Base64UrlEncode(R"({"alg":"none","typ":"at+jwt"})"), ".", parts[1], ".");
  const std::string tampered = absl::StrCat(parts[0], ".", parts[1], "x.", parts[2]);
  for (const std::string& token : {std::string("garbage"), forged, none, tampered,
                                   Mint({"orders.read"}, {"billing-api"}).token}) {
    AccessDecision d = Decide("Bearer " + token);
    EXPECT_FALSE(d.allowed) << token;
    EXPECT_EQ(d.http_status, 401) << token;
    EXPECT_THAT(d.www_authenticate, HasSubstr("error=\"invalid_token\"")) << token;
    EXPECT_EQ(d.www_authenticate.find(token), std::string::npos);  // never echoed
  }
}

TEST_F(DecisionTest, ExpiryHasASmallLeeway) {
  const auto token = Mint({"orders.read"});
  Advance(absl::Minutes(10) + absl::Seconds(4));
  EXPECT_TRUE(Decide("Bearer " + token.token).allowed);
  Advance(absl::Seconds(2));
  EXPECT_EQ(Decide("Bearer " + token.token).http_status, 401);
}

TEST_F(DecisionTest, MissingScopeIsForbiddenWithTheScopesNeeded) {
  const auto token = Mint({"orders.read"});
  AccessDecision d = Decide("Bearer " + token.token, "/orders/7", "POST");
  EXPECT_EQ(d.http_status, 403);
  EXPECT_EQ(d.www_authenticate, "Bearer error=\"insufficient_scope\", scope=\"orders.write\"");
}

TEST_F(DecisionTest, RevocationAtEveryLevel) {
  const auto by_jti = Mint({"orders.read"});
  ASSERT_TRUE(store_->revocations().Revoke(by_jti.jti, absl::Minutes(10)).ok());
  EXPECT_EQ(Decide("Bearer " + by_jti.token).http_status, 401);

  // A user's token: its grant must exist and be live.
  const auto no_grant_record = Mint({"orders.read"}, {"orders-api"}, "G1");
  EXPECT_EQ(Decide("Bearer " + no_grant_record.token).http_status, 401);
  storage::RefreshGrant grant;
  grant.family_id = "G2";
  grant.client_id = "app";
  grant.subject = "u_alice";
  grant.granted_at_ms = now_ms_.load();
  grant.issued_at = now_ms_.load() / 1000;
  grant.grant_expires_at = grant.issued_at + 3600;
  ASSERT_TRUE(store_->refresh_tokens().CreateGrant(grant).ok());
  Advance(absl::Milliseconds(1));
  const auto user_token = Mint({"orders.read"}, {"orders-api"}, "G2");
  AccessDecision allowed = Decide("Bearer " + user_token.token);
  EXPECT_TRUE(allowed.allowed) << allowed.reason;
  EXPECT_EQ(allowed.grant_id, "G2");
  ASSERT_TRUE(store_->refresh_tokens().RevokeFamily("G2").ok());
  EXPECT_EQ(Decide("Bearer " + user_token.token).http_status, 401);

  // The client's not-before instant reaches its client_credentials tokens.
  const auto service = Mint({"orders.read"});
  EXPECT_TRUE(Decide("Bearer " + service.token).allowed);
  Advance(absl::Milliseconds(1));
  ASSERT_TRUE(store_->revocations()
                  .RevokeOwner(storage::Owner::kClient, "app", now_ms_.load(), absl::Hours(1))
                  .ok());
  EXPECT_EQ(Decide("Bearer " + service.token).http_status, 401);
  Advance(absl::Milliseconds(1));
  EXPECT_TRUE(Decide("Bearer " + Mint({"orders.read"}).token).allowed);
}

TEST_F(DecisionTest, RequestShapeAndPolicy) {
  EXPECT_TRUE(Decide("", "/public/x").allowed);  // anonymous
  EXPECT_EQ(Decide("", "/public/../orders/7").http_status, 400);
  EXPECT_EQ(Decide("", "/elsewhere").http_status, 403);  // no rule
  Decider unconfigured(issuer_, nullptr, store_->revocations(), absl::ZeroDuration());
  EXPECT_EQ(unconfigured.Decide({"GET", "h", "/public", ""}).http_status, 403);
}

// The revocation view reads no grant records: the grant's instant comes from
// its timed id, and an id whose "instant" is later than the token (a random
// id from before timed ids) counts as long ago, so owner revocation reaches it.
TEST(RevocationRuleTest, GrantInstantFromTheIdWhenNoRecordWasRead) {
  storage::RevocationState view_state;
  view_state.grant_found = true;  // what the view answers
  view_state.user_not_before_ms = 1800000000500;
  const int64_t token_ms = 1800000000900;
  EXPECT_TRUE(IsRevoked(view_state, NewGrantId(1800000000400), token_ms));
  EXPECT_FALSE(IsRevoked(view_state, NewGrantId(1800000000600), token_ms));
  const std::string random_id = "_8AAAAAAAAAAAAAAAAAAAA";  // decodes to a far-future instant
  EXPECT_TRUE(IsRevoked(view_state, random_id, token_ms));
  view_state.user_not_before_ms = 0;
  EXPECT_FALSE(IsRevoked(view_state, random_id, token_ms));
}

TEST(CheckTranslationTest, IdentityHeadersOverwriteOrRemoveAndDenialsCarryTheChallenge) {
  Policy policy = *ParsePolicy(
      "remove_authorization: true\nrules:\n  - path_prefix: /\n    audience: a\n");
  AccessDecision allow;
  allow.allowed = true;
  allow.http_status = 200;
  allow.subject = "app";
  allow.client_id = "app";
  allow.scope = "orders.read";
  auth::CheckResponse ok = grpc_api::ToCheckResponse(allow, &policy);
  EXPECT_EQ(ok.status().code(), 0);
  ASSERT_TRUE(ok.has_ok_response());
  ASSERT_EQ(ok.ok_response().headers_size(), 3);
  for (const auto& h : ok.ok_response().headers()) {
    EXPECT_EQ(h.append_action(),
              envoy::config::core::v3::HeaderValueOption::OVERWRITE_IF_EXISTS_OR_ADD);
  }
  EXPECT_EQ(ok.ok_response().headers(0).header().key(), "x-auth-subject");
  // No grant: a client-sent x-auth-grant-id must not reach the upstream.
  EXPECT_THAT(ok.ok_response().headers_to_remove(),
              ::testing::ElementsAre("x-auth-grant-id", "authorization"));

  AccessDecision deny;
  deny.http_status = 401;
  deny.www_authenticate = "Bearer";
  deny.reason = "no bearer token";
  auth::CheckResponse denied = grpc_api::ToCheckResponse(deny, &policy);
  EXPECT_EQ(denied.status().code(), 16);  // UNAUTHENTICATED
  EXPECT_EQ(denied.denied_response().status().code(), 401);
  EXPECT_EQ(denied.denied_response().headers(0).header().key(), "www-authenticate");
  EXPECT_EQ(denied.denied_response().headers(0).header().value(), "Bearer");

  // No HTTP attributes: not an HTTP request at all.
  EXPECT_FALSE(grpc_api::ToAccessRequest(auth::CheckRequest()).has_value());
  auth::CheckRequest r;
  auto* http = r.mutable_attributes()->mutable_request()->mutable_http();
  http->set_method("GET");
  http->set_path("/a?b");
  http->set_host("h");
  auto* entry = http->mutable_header_map()->add_headers();
  entry->set_key("Authorization");
  entry->set_raw_value("Bearer t");
  auto access = grpc_api::ToAccessRequest(r);
  ASSERT_TRUE(access.has_value());
  EXPECT_EQ(access->authorization, "Bearer t");
  EXPECT_EQ(access->path, "/a?b");
}

// Values that are not UTF-8 cannot be in a proto3 string: Envoy (and the
// gateway) send them as header_map raw bytes under the pseudo-header names,
// and they are decided on as they came.
TEST(CheckTranslationTest, MethodPathAndHostFallBackToRawPseudoHeaders) {
  auth::CheckRequest r;
  auto* http = r.mutable_attributes()->mutable_request()->mutable_http();
  for (const auto& [key, value] : {std::pair{":method", "G\xffT"}, std::pair{":path", "/caf\xe9"},
                                   std::pair{":authority", "\xc3(.example"},
                                   std::pair{"authorization", "Bearer \xff"}}) {
    auto* entry = http->mutable_header_map()->add_headers();
    entry->set_key(key);
    entry->set_raw_value(value);
  }
  auto access = grpc_api::ToAccessRequest(r);
  ASSERT_TRUE(access.has_value());
  EXPECT_EQ(access->method, "G\xffT");
  EXPECT_EQ(access->path, "/caf\xe9");
  EXPECT_EQ(access->host, "\xc3(.example");
  EXPECT_EQ(access->authorization, "Bearer \xff");
  // The proto's own fields win when set.
  http->set_method("GET");
  EXPECT_EQ(grpc_api::ToAccessRequest(r)->method, "GET");
}

}  // namespace
}  // namespace oauthd::authz
