#include "server/gateway/csrf.h"

#include "gtest/gtest.h"

namespace oauthd::gateway {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

CsrfProtector::Fields RequestFields() {
  return {{"client_id", "app"}, {"redirect_uri", "https://app/cb"}, {"state", "xyz"}};
}

TEST(CsrfProtectorTest, NonceShape) {
  const std::string a = CsrfProtector::NewNonce();
  const std::string b = CsrfProtector::NewNonce();
  EXPECT_NE(a, b);
  EXPECT_TRUE(CsrfProtector::IsWellFormedNonce(a));
  EXPECT_FALSE(CsrfProtector::IsWellFormedNonce(""));
  EXPECT_FALSE(CsrfProtector::IsWellFormedNonce(a.substr(1)));
  EXPECT_FALSE(CsrfProtector::IsWellFormedNonce(std::string(43, '=')));
}

TEST(CsrfProtectorTest, VerifiesWhatItIssued) {
  const CsrfProtector csrf("k" + std::string(31, 'x'), absl::Minutes(30));
  const std::string nonce = CsrfProtector::NewNonce();
  const std::string token = csrf.Issue(nonce, RequestFields(), kNow);
  EXPECT_TRUE(csrf.Verify(token, nonce, RequestFields(), kNow));
  EXPECT_TRUE(csrf.Verify(token, nonce, RequestFields(), kNow + absl::Minutes(29)));
}

TEST(CsrfProtectorTest, RejectsOtherCookieNonce) {
  const CsrfProtector csrf = CsrfProtector::WithRandomKey(absl::Minutes(30));
  const std::string token = csrf.Issue(CsrfProtector::NewNonce(), RequestFields(), kNow);
  EXPECT_FALSE(csrf.Verify(token, CsrfProtector::NewNonce(), RequestFields(), kNow));
  EXPECT_FALSE(csrf.Verify(token, "", RequestFields(), kNow));
}

TEST(CsrfProtectorTest, RejectsAlteredFields) {
  const CsrfProtector csrf = CsrfProtector::WithRandomKey(absl::Minutes(30));
  const std::string nonce = CsrfProtector::NewNonce();
  const std::string token = csrf.Issue(nonce, RequestFields(), kNow);
  CsrfProtector::Fields changed = RequestFields();
  changed[1].second = "https://evil/cb";
  EXPECT_FALSE(csrf.Verify(token, nonce, changed, kNow));
  CsrfProtector::Fields extra = RequestFields();
  extra.emplace_back("scope", "admin");
  EXPECT_FALSE(csrf.Verify(token, nonce, extra, kNow));
  // Length prefixes keep field boundaries apart: ("ab","c") != ("a","bc").
  const std::string t2 = csrf.Issue(nonce, {{"ab", "c"}}, kNow);
  EXPECT_FALSE(csrf.Verify(t2, nonce, {{"a", "bc"}}, kNow));
}

TEST(CsrfProtectorTest, RejectsExpiredAndFutureTokens) {
  const CsrfProtector csrf = CsrfProtector::WithRandomKey(absl::Minutes(30));
  const std::string nonce = CsrfProtector::NewNonce();
  const std::string token = csrf.Issue(nonce, RequestFields(), kNow);
  EXPECT_FALSE(csrf.Verify(token, nonce, RequestFields(), kNow + absl::Minutes(31)));
  EXPECT_FALSE(csrf.Verify(token, nonce, RequestFields(), kNow - absl::Minutes(5)));
}

TEST(CsrfProtectorTest, RejectsTokensOfAnotherKeyAndGarbage) {
  const CsrfProtector a = CsrfProtector::WithRandomKey(absl::Minutes(30));
  const CsrfProtector b = CsrfProtector::WithRandomKey(absl::Minutes(30));
  const std::string nonce = CsrfProtector::NewNonce();
  const std::string token = a.Issue(nonce, RequestFields(), kNow);
  EXPECT_FALSE(b.Verify(token, nonce, RequestFields(), kNow));
  for (const std::string& bad :
       {std::string(""), std::string("."), std::string("x.y"), std::string("1800000000"),
        token + "A", token.substr(0, token.size() - 1)}) {
    EXPECT_FALSE(a.Verify(bad, nonce, RequestFields(), kNow)) << bad;
  }
}

}  // namespace
}  // namespace oauthd::gateway
