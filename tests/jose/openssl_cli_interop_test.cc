// Cross-checks against the `openssl` command-line tool, an independent code
// path from the EVP calls under test: keys made by `openssl genpkey` load,
// our signatures verify with `openssl dgst` / `openssl pkeyutl`, and theirs
// verify with ours. Skipped when no openssl binary is available.

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/jose/base64url.h"
#include "server/jose/internal/ecdsa_signature.h"
#include "server/jose/jwt.h"
#include "server/jose/key_set.h"
#include "server/jose/signing_key.h"
#include "server/jose/verification_key.h"
#include "tests/jose/test_keys.h"

#ifndef OAUTHD_OPENSSL_EXECUTABLE
#define OAUTHD_OPENSSL_EXECUTABLE ""
#endif

namespace oauthd::jose {
namespace {

using ::oauthd::jose::testing::ScratchDir;
using ::oauthd::jose::testing::WriteFile;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

struct Case {
  const char* name;
  const char* genpkey_args;
  Algorithm alg;
};

class OpenSslCliTest : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    openssl_ = OAUTHD_OPENSSL_EXECUTABLE;
    if (openssl_.empty()) GTEST_SKIP() << "openssl executable not found at configure time";
    dir_ = absl::StrCat(ScratchDir(), "/cli_", GetParam().name);
    ASSERT_EQ(Run(absl::StrCat("mkdir -p '", dir_, "'")), 0);
  }

  int Run(const std::string& command) {
    const std::string quiet = absl::StrCat(command, " >/dev/null 2>&1");
    return std::system(quiet.c_str());
  }

  std::string openssl_;
  std::string dir_;
};

TEST_P(OpenSslCliTest, SignaturesInteroperate) {
  const Case& c = GetParam();
  const std::string key_path = dir_ + "/key.pem";
  const std::string pub_path = dir_ + "/pub.pem";
  ASSERT_EQ(Run(absl::StrCat(openssl_, " genpkey ", c.genpkey_args, " -out ", key_path)), 0);
  ASSERT_EQ(Run(absl::StrCat(openssl_, " pkey -in ", key_path, " -pubout -out ", pub_path)), 0);

  absl::StatusOr<SigningKey> key = SigningKey::FromPemFile(key_path);
  ASSERT_TRUE(key.ok()) << key.status();
  ASSERT_EQ(key->alg(), c.alg);
  const VerificationKey verifier = VerificationKey::FromSigningKey(*key);

  // Use a real token's signing input as the message.
  AccessTokenClaims claims;
  claims.iss = "https://issuer";
  claims.sub = "s";
  claims.aud = {"a"};
  claims.exp = 2000000000;
  claims.iat = 1000000000;
  claims.jti = "j";
  claims.client_id = "c";
  const std::string token = EncodeJwt(*key, claims).value();
  const std::string input = token.substr(0, token.rfind('.'));
  const std::string input_path = dir_ + "/input.txt";
  WriteFile(absl::StrCat("cli_", c.name, "/input.txt"), input);

  // 1. Our signature, verified by openssl.
  std::string signature = key->Sign(input).value();
  const std::string our_sig_path = dir_ + "/ours.sig";
  std::string sig_file = signature;
  if (c.alg == Algorithm::kEs256) {
    ASSERT_TRUE(internal::EcdsaJoseToDer(signature, 32, &sig_file));  // openssl wants DER.
  }
  WriteFile(absl::StrCat("cli_", c.name, "/ours.sig"), sig_file);
  const std::string verify_command =
      c.alg == Algorithm::kEdDsa
          ? absl::StrCat(openssl_, " pkeyutl -verify -pubin -inkey ", pub_path,
                         " -rawin -in ", input_path, " -sigfile ", our_sig_path)
          : absl::StrCat(openssl_, " dgst -sha256 -verify ", pub_path, " -signature ",
                         our_sig_path, " ", input_path);
  EXPECT_EQ(Run(verify_command), 0) << verify_command;

  // 2. openssl's signature, verified by us.
  const std::string their_sig_path = dir_ + "/theirs.sig";
  const std::string sign_command =
      c.alg == Algorithm::kEdDsa
          ? absl::StrCat(openssl_, " pkeyutl -sign -inkey ", key_path, " -rawin -in ",
                         input_path, " -out ", their_sig_path)
          : absl::StrCat(openssl_, " dgst -sha256 -sign ", key_path, " -out ", their_sig_path,
                         " ", input_path);
  ASSERT_EQ(Run(sign_command), 0) << sign_command;
  std::string theirs = ReadFile(their_sig_path);
  if (c.alg == Algorithm::kEs256) {
    std::string raw;
    ASSERT_TRUE(internal::EcdsaDerToJose(theirs, 32, &raw));
    EXPECT_FALSE(verifier.Verify(input, theirs).ok()) << "DER must not be accepted";
    // openssl picks S at random: half the time it is the high-S form, which
    // we refuse; its canonical twin (n - S) is the one that verifies.
    std::string low = raw;
    internal::NormalizeToLowSP256(&low);
    if (low != raw) {
      EXPECT_FALSE(verifier.Verify(input, raw).ok()) << "high S must not be accepted";
    }
    theirs = low;
  }
  EXPECT_TRUE(verifier.Verify(input, theirs).ok());
  EXPECT_FALSE(verifier.Verify(input + " ", theirs).ok());

  // 3. The token with openssl's signature verifies through a KeySet.
  KeySet set = KeySet::Create({verifier}).value();
  absl::StatusOr<VerifiedJwt> jwt = set.VerifyJwt(absl::StrCat(input, ".", Base64UrlEncode(theirs)));
  ASSERT_TRUE(jwt.ok()) << jwt.status();
  EXPECT_EQ(jwt->claims.iss, "https://issuer");
}

INSTANTIATE_TEST_SUITE_P(
    Algorithms, OpenSslCliTest,
    ::testing::Values(Case{"ES256", "-algorithm EC -pkeyopt ec_paramgen_curve:P-256",
                           Algorithm::kEs256},
                      Case{"EdDSA", "-algorithm ED25519", Algorithm::kEdDsa},
                      Case{"RS256", "-algorithm RSA -pkeyopt rsa_keygen_bits:2048",
                           Algorithm::kRs256}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(OpenSslCliKeyTest, EcParamGenKeyWithParametersBlockLoads) {
  const std::string openssl = OAUTHD_OPENSSL_EXECUTABLE;
  if (openssl.empty()) GTEST_SKIP() << "no openssl executable";
  // `openssl ecparam -genkey` writes an "EC PARAMETERS" block before the key.
  const std::string path = ScratchDir() + "/ecparam.pem";
  ASSERT_EQ(std::system(absl::StrCat(openssl, " ecparam -name prime256v1 -genkey -out ", path,
                                     " >/dev/null 2>&1")
                            .c_str()),
            0);
  absl::StatusOr<SigningKey> key = SigningKey::FromPemFile(path);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->alg(), Algorithm::kEs256);
}

}  // namespace
}  // namespace oauthd::jose
