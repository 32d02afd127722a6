// Unit tests of the small OAuth building blocks: scope, redirect URIs, PKCE,
// hashing, client secrets, password hashes, refresh-token format and sealing.

#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "server/core/client_secret.h"
#include "server/core/hashing.h"
#include "server/core/oauth_error.h"
#include "server/core/password_hash.h"
#include "server/core/pkce.h"
#include "server/core/redirect_uri.h"
#include "server/core/refresh_token_format.h"
#include "server/core/scope.h"

namespace oauthd {
namespace {

std::string ErrorOf(const absl::Status& s) { return ToOAuthError(s).error(); }

TEST(Scope, ParsesDeduplicatesAndRejectsBadTokens) {
  auto parsed = ParseScope("read write read");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, (std::vector<std::string>{"read", "write"}));
  EXPECT_TRUE(ParseScope("")->empty());
  EXPECT_EQ(ErrorOf(ParseScope("read  write").status()), "invalid_scope");
  EXPECT_EQ(ErrorOf(ParseScope(" read").status()), "invalid_scope");
  EXPECT_EQ(ErrorOf(ParseScope("a\"b").status()), "invalid_scope");
  EXPECT_EQ(ErrorOf(ParseScope("a\\b").status()), "invalid_scope");
  EXPECT_EQ(ErrorOf(ParseScope("caf\xc3\xa9").status()), "invalid_scope");
  EXPECT_EQ(ErrorOf(ParseScope(std::string(kMaxScopeLength + 1, 'a')).status()),
            "invalid_request");
}

TEST(Scope, ResolvesAgainstAllowedAndDefaults) {
  std::vector<std::string> allowed = {"read", "write"};
  EXPECT_EQ(*ResolveScope("", allowed, {"read"}), (std::vector<std::string>{"read"}));
  EXPECT_EQ(*ResolveScope("write", allowed, {"read"}), (std::vector<std::string>{"write"}));
  EXPECT_EQ(ErrorOf(ResolveScope("admin", allowed, {}).status()), "invalid_scope");
}

TEST(Scope, SubsetForNarrowing) {
  EXPECT_TRUE(ScopeIsSubset({"read"}, {"read", "write"}));
  EXPECT_TRUE(ScopeIsSubset({}, {"read"}));
  EXPECT_FALSE(ScopeIsSubset({"read", "admin"}, {"read", "write"}));
}

TEST(RedirectUri, ExactMatchOnly) {
  std::vector<std::string> reg = {"https://app.example.com/cb"};
  EXPECT_EQ(MatchRedirectUri(reg, "https://app.example.com/cb"), reg[0]);
  EXPECT_FALSE(MatchRedirectUri(reg, "https://app.example.com/cb/"));
  EXPECT_FALSE(MatchRedirectUri(reg, "https://app.example.com/cb?x=1"));
  EXPECT_FALSE(MatchRedirectUri(reg, "https://APP.example.com/cb"));
  EXPECT_FALSE(MatchRedirectUri(reg, "https://app.example.com.evil.com/cb"));
  EXPECT_FALSE(MatchRedirectUri(reg, "https://app.example.com:443/cb"));
}

TEST(RedirectUri, LoopbackPortMayVary) {
  std::vector<std::string> reg = {"http://127.0.0.1/cb", "http://[::1]:8000/cb"};
  EXPECT_TRUE(MatchRedirectUri(reg, "http://127.0.0.1:53123/cb"));
  EXPECT_TRUE(MatchRedirectUri(reg, "http://127.0.0.1/cb"));
  EXPECT_TRUE(MatchRedirectUri(reg, "http://[::1]:9/cb"));
  EXPECT_FALSE(MatchRedirectUri(reg, "http://127.0.0.1:53123/other"));
  EXPECT_FALSE(MatchRedirectUri(reg, "http://127.0.0.1:80x/cb"));
  EXPECT_FALSE(MatchRedirectUri(reg, "http://localhost:53123/cb"));
  EXPECT_FALSE(MatchRedirectUri(reg, "https://127.0.0.1:53123/cb"));
  EXPECT_FALSE(MatchRedirectUri(reg, "http://127.0.0.1.evil.com/cb"));
}

TEST(RedirectUri, RegistrationRules) {
  EXPECT_TRUE(ValidateRegisteredRedirectUri("https://a.example/cb").ok());
  EXPECT_TRUE(ValidateRegisteredRedirectUri("http://127.0.0.1:8080/cb").ok());
  EXPECT_TRUE(ValidateRegisteredRedirectUri("com.example.app:/oauth").ok());
  EXPECT_FALSE(ValidateRegisteredRedirectUri("http://a.example/cb").ok());
  EXPECT_FALSE(ValidateRegisteredRedirectUri("https://a.example/cb#frag").ok());
  EXPECT_FALSE(ValidateRegisteredRedirectUri("/relative").ok());
  EXPECT_FALSE(ValidateRegisteredRedirectUri("javascript:alert(1)").ok());
  EXPECT_FALSE(ValidateRegisteredRedirectUri("https://a.example/c b").ok());
}

TEST(Pkce, Rfc7636AppendixB) {
  // RFC 7636 Appendix B: verifier -> S256 challenge.
  EXPECT_EQ(PkceS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST(Pkce, ChallengeValidation) {
  const std::string ok(43, 'a');
  EXPECT_TRUE(ValidateCodeChallenge(ok, "S256", false).ok());
  EXPECT_EQ(ErrorOf(ValidateCodeChallenge(ok, "plain", false)), "invalid_request");
  EXPECT_EQ(ErrorOf(ValidateCodeChallenge(ok, "", false)), "invalid_request");
  EXPECT_TRUE(ValidateCodeChallenge(ok, "", true).ok());
  EXPECT_EQ(ErrorOf(ValidateCodeChallenge(ok, "S512", true)), "invalid_request");
  EXPECT_EQ(ErrorOf(ValidateCodeChallenge(std::string(42, 'a'), "S256", false)),
            "invalid_request");
  EXPECT_EQ(ErrorOf(ValidateCodeChallenge(std::string(129, 'a'), "S256", false)),
            "invalid_request");
  EXPECT_FALSE(IsValidPkceString(std::string(42, 'a') + "+"));
}

TEST(Hashing, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_EQ(Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ClientSecret, HashAndVerify) {
  const std::string secret = GenerateClientSecret();
  EXPECT_EQ(secret.size(), 43u);  // 256 bits, base64url
  HashedSecret h = HashClientSecret(secret);
  EXPECT_EQ(h.salt.size(), 16u);
  EXPECT_EQ(h.hash.size(), 32u);
  EXPECT_EQ(h.hash.find(secret), std::string::npos);
  EXPECT_TRUE(VerifyClientSecret(secret, h.salt, h.hash));
  EXPECT_FALSE(VerifyClientSecret(secret + "x", h.salt, h.hash));
  EXPECT_FALSE(VerifyClientSecret("", h.salt, h.hash));
  EXPECT_FALSE(VerifyClientSecret(secret, h.salt, ""));
  // Same secret, fresh salt, different hash.
  EXPECT_NE(HashClientSecret(secret).hash, h.hash);
  EXPECT_NE(GenerateClientSecret(), secret);
}

TEST(PasswordHash, ScryptRoundTripAndMalformed) {
  ScryptParams fast;
  fast.log2_n = 10;
  auto hash = HashPassword("correct horse", fast);
  ASSERT_TRUE(hash.ok());
  EXPECT_EQ(hash->rfind("$scrypt$ln=10,r=8,p=1$", 0), 0u);
  EXPECT_TRUE(VerifyPassword("correct horse", *hash));
  EXPECT_FALSE(VerifyPassword("correct horsE", *hash));
  EXPECT_FALSE(VerifyPassword("correct horse", ""));
  EXPECT_FALSE(VerifyPassword("correct horse", "$scrypt$ln=99,r=8,p=1$AA$AA"));
  EXPECT_FALSE(VerifyPassword("x", DummyPasswordHash(fast)));
  EXPECT_FALSE(DummyPasswordHash(fast).empty());
}

TEST(RefreshTokenFormat, ParseAndSeal) {
  const std::string family = NewGrantId(1800000000000);
  const std::string token = NewRefreshToken(family);
  auto parsed = ParseRefreshToken(token);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->family_id, family);
  EXPECT_FALSE(ParseRefreshToken(token.substr(1)));
  EXPECT_FALSE(ParseRefreshToken("eyJ.a.b"));
  std::string bad = token;
  bad[3] = '+';
  EXPECT_FALSE(ParseRefreshToken(bad));

  const std::string successor = NewRefreshToken(family);
  const std::string sealed = SealSuccessor(token, successor);
  EXPECT_EQ(sealed.find(successor), std::string::npos);
  EXPECT_EQ(OpenSuccessor(token, sealed), successor);
  EXPECT_FALSE(OpenSuccessor(successor, sealed));  // wrong key
  std::string tampered = sealed;
  tampered[15] ^= 1;
  EXPECT_FALSE(OpenSuccessor(token, tampered));
}

// A successor sealed by an earlier build (HMAC() and EVP_aes_256_gcm(), before
// the algorithms were fetched once) still opens: a rolling upgrade inside a
// grace or retry window must not turn a retry into invalid_grant.
TEST(RefreshTokenFormat, OpensASuccessorSealedByAnEarlierBuild) {
  const std::string sealed = absl::HexStringToBytes(
      "4c5815cd7590b08fe841d8ba4ba13a14d695cff50c7078cd0da50f90e100edea4464eac2234b816d56"
      "1829103675d0d1bf8feb79fed6ff8b10bd5c503db75b6e8157116cdda03a2935ca8f2848ae89b479b8"
      "91346a2d2c7799fd64c91f9de0");
  EXPECT_EQ(OpenSuccessor(
                "AAAAAAAAAAAAAAAAAAAAAA.old-token-for-the-format-test-0123456789abcde", sealed),
            "AAAAAAAAAAAAAAAAAAAAAA.successor-for-the-format-test-0123456789abcd");
}

TEST(OAuthError, CarriesTypedCodeAndMapsStatus) {
  absl::Status s = InvalidGrant("nope");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ToOAuthError(s).error(), "invalid_grant");
  EXPECT_EQ(ToOAuthError(s).error_description(), "nope");
  EXPECT_EQ(InvalidClient("x").code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(UnauthorizedClient("x").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ToOAuthError(absl::UnavailableError("redis down")).error(),
            "temporarily_unavailable");
  // Descriptions stay within RFC 6749 §5.2's character set.
  EXPECT_EQ(ToOAuthError(InvalidScope("scope \"x\\y\" caf\xc3\xa9\n")).error_description(),
            "scope 'x?y' caf???");
  // Internal messages are not shown to clients.
  oauth::v1::OAuthError internal = ToOAuthError(absl::InternalError("secret detail"));
  EXPECT_EQ(internal.error(), "server_error");
  EXPECT_EQ(internal.error_description().find("secret"), std::string::npos);
}

}  // namespace
}  // namespace oauthd
