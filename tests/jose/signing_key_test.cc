// SigningKey loading, its error messages, signature formats, key generation
// and concurrent use.

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/jose/base64url.h"
#include "server/jose/key_generation.h"
#include "server/jose/signing_key.h"
#include "server/jose/verification_key.h"
#include "tests/jose/test_keys.h"

namespace oauthd::jose {
namespace {

using ::oauthd::jose::testing::EcPem;
using ::oauthd::jose::testing::Ed448Pem;
using ::oauthd::jose::testing::EncryptedPem;
using ::oauthd::jose::testing::PublicKeyPem;
using ::oauthd::jose::testing::RsaPem;
using ::oauthd::jose::testing::ScratchDir;
using ::oauthd::jose::testing::TestKey;
using ::oauthd::jose::testing::TestKeyPem;
using ::oauthd::jose::testing::WriteFile;

constexpr char kHint[] = "create one with: oauthctl keys generate --alg ES256 --out ";

// Expects a one-line error naming `path`, containing `reason` and the hint.
void ExpectKeyFileError(const std::string& path, absl::string_view reason,
                        absl::StatusCode code = absl::StatusCode::kInvalidArgument) {
  absl::StatusOr<SigningKey> key = SigningKey::FromPemFile(path);
  ASSERT_FALSE(key.ok()) << path;
  const std::string message(key.status().message());
  EXPECT_EQ(key.status().code(), code) << message;
  EXPECT_TRUE(absl::StrContains(message, path)) << message;
  EXPECT_TRUE(absl::StrContains(message, reason)) << message;
  EXPECT_TRUE(absl::StrContains(message, absl::StrCat(kHint, path))) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << "must be one line: " << message;
}

TEST(SigningKeyLoadTest, LoadsGeneratedKeysOfEachAlgorithm) {
  for (Algorithm alg : {Algorithm::kRs256, Algorithm::kEs256, Algorithm::kEdDsa}) {
    const std::string path = WriteFile(absl::StrCat("gen_", AlgorithmName(alg), ".pem"),
                                       TestKeyPem(alg));
    EXPECT_TRUE(absl::StartsWith(TestKeyPem(alg), "-----BEGIN PRIVATE KEY-----"));
    absl::StatusOr<SigningKey> key = SigningKey::FromPemFile(path);
    ASSERT_TRUE(key.ok()) << key.status();
    EXPECT_EQ(key->alg(), alg);
    EXPECT_EQ(key->kid(), TestKey(alg).kid());
    EXPECT_EQ(key->public_jwk(), TestKey(alg).public_jwk());
  }
}

TEST(SigningKeyLoadTest, LoadsTraditionalAndPkcs8Forms) {
  const std::string rsa_traditional = RsaPem(2048, /*traditional=*/true);
  EXPECT_TRUE(absl::StrContains(rsa_traditional, "BEGIN RSA PRIVATE KEY"));
  absl::StatusOr<SigningKey> rsa = SigningKey::FromPem(rsa_traditional);
  ASSERT_TRUE(rsa.ok()) << rsa.status();
  EXPECT_EQ(rsa->alg(), Algorithm::kRs256);

  const std::string ec_traditional = EcPem("P-256", /*traditional=*/true);
  EXPECT_TRUE(absl::StrContains(ec_traditional, "BEGIN EC PRIVATE KEY"));
  absl::StatusOr<SigningKey> ec = SigningKey::FromPem(ec_traditional);
  ASSERT_TRUE(ec.ok()) << ec.status();
  EXPECT_EQ(ec->alg(), Algorithm::kEs256);

  absl::StatusOr<SigningKey> ec8 = SigningKey::FromPem(EcPem("prime256v1", false));
  ASSERT_TRUE(ec8.ok()) << ec8.status();
  EXPECT_EQ(ec8->alg(), Algorithm::kEs256);
}

TEST(SigningKeyLoadTest, MissingFile) {
  ExpectKeyFileError(ScratchDir() + "/does-not-exist.pem", "No such file",
                     absl::StatusCode::kNotFound);
}

TEST(SigningKeyLoadTest, UnreadableFile) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads any file";
  const std::string path = WriteFile("unreadable.pem", TestKeyPem(Algorithm::kEs256));
  ASSERT_EQ(chmod(path.c_str(), 0), 0);
  ExpectKeyFileError(path, "Permission denied", absl::StatusCode::kPermissionDenied);
}

TEST(SigningKeyLoadTest, DirectoryInsteadOfFile) {
  ExpectKeyFileError(ScratchDir(), "cannot read");
}

TEST(SigningKeyLoadTest, EmptyFile) { ExpectKeyFileError(WriteFile("empty.pem", ""), "empty"); }

TEST(SigningKeyLoadTest, GarbageFile) {
  ExpectKeyFileError(WriteFile("garbage.pem", "this is not a key\n\x01\x02\xff"),
                     "not a PEM file");
  ExpectKeyFileError(WriteFile("damaged.pem",
                               "-----BEGIN PRIVATE KEY-----\nAAAA!!!!\n-----END PRIVATE KEY-----\n"),
                     "no usable PEM private key");
  // A truncated real key.
  const std::string& pem = TestKeyPem(Algorithm::kEs256);
  ExpectKeyFileError(WriteFile("truncated.pem", pem.substr(0, pem.size() / 2)),
                     "no usable PEM private key");
}

TEST(SigningKeyLoadTest, PublicKeyPem) {
  const std::string pub = PublicKeyPem(TestKeyPem(Algorithm::kEs256));
  EXPECT_TRUE(absl::StrContains(pub, "BEGIN PUBLIC KEY"));
  ExpectKeyFileError(WriteFile("public.pem", pub), "public key, not a private key");
}

TEST(SigningKeyLoadTest, EncryptedKey) {
  ExpectKeyFileError(WriteFile("encrypted.pem", EncryptedPem(Algorithm::kEs256)), "encrypted");
}

TEST(SigningKeyLoadTest, UnsupportedCurve) {
  ExpectKeyFileError(WriteFile("p384.pem", EcPem("P-384", false)),
                     "unsupported EC curve secp384r1");
  ExpectKeyFileError(WriteFile("ed448.pem", Ed448Pem()), "unsupported key type ED448");
}

TEST(SigningKeyLoadTest, SmallRsaKey) {
  ExpectKeyFileError(WriteFile("rsa1024.pem", RsaPem(1024, false)),
                     "RSA key of 1024 bits is too small (minimum 2048)");
}

TEST(SigningKeyLoadTest, FromPemUsesSourceName) {
  absl::StatusOr<SigningKey> key = SigningKey::FromPem("nope", "$OAUTHD_SIGNING_KEY");
  ASSERT_FALSE(key.ok());
  EXPECT_TRUE(absl::StrContains(key.status().message(), "$OAUTHD_SIGNING_KEY"));
  EXPECT_TRUE(absl::StrContains(key.status().message(), absl::StrCat(kHint, "<file>")));
}

TEST(SigningKeyTest, SignatureSizes) {
  const std::string input = "header.payload";
  EXPECT_EQ(TestKey(Algorithm::kEs256).Sign(input)->size(), 64u);  // JOSE R||S, not DER.
  EXPECT_EQ(TestKey(Algorithm::kEdDsa).Sign(input)->size(), 64u);
  EXPECT_EQ(TestKey(Algorithm::kRs256).Sign(input)->size(), 256u);  // RSA 2048 test key.
}

TEST(SigningKeyTest, Es256SignaturesAreRawAndRandomized) {
  const SigningKey& key = TestKey(Algorithm::kEs256);
  const VerificationKey verifier = VerificationKey::FromSigningKey(key);
  std::string previous;
  for (int i = 0; i < 50; ++i) {  // Exercises pooled contexts and padding.
    absl::StatusOr<std::string> signature = key.Sign("input");
    ASSERT_TRUE(signature.ok());
    ASSERT_EQ(signature->size(), 64u);  // DER would be 70..72 bytes.
    EXPECT_NE(*signature, previous);
    EXPECT_TRUE(verifier.Verify("input", *signature).ok());
    previous = *signature;
  }
}

TEST(SigningKeyTest, DeterministicAlgorithmsRepeat) {
  for (Algorithm alg : {Algorithm::kRs256, Algorithm::kEdDsa}) {
    const SigningKey& key = TestKey(alg);
    EXPECT_EQ(key.Sign("same input").value(), key.Sign("same input").value());
  }
}

TEST(SigningKeyTest, VerifyRejectsWrongLengthsAndDer) {
  const SigningKey& key = TestKey(Algorithm::kEs256);
  const VerificationKey verifier = VerificationKey::FromSigningKey(key);
  const std::string signature = key.Sign("x").value();
  EXPECT_FALSE(verifier.Verify("x", signature.substr(0, 63)).ok());
  EXPECT_FALSE(verifier.Verify("x", signature + std::string(1, '\0')).ok());
  EXPECT_FALSE(verifier.Verify("x", "").ok());
  EXPECT_FALSE(verifier.Verify("x", std::string(64, '\0')).ok());  // r = s = 0.
  EXPECT_FALSE(verifier.Verify("x", std::string(64, '\xff')).ok());  // r, s >= n.
}

TEST(SigningKeyTest, ConcurrentSignAndVerify) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  for (Algorithm alg : {Algorithm::kEs256, Algorithm::kEdDsa, Algorithm::kRs256}) {
    const SigningKey& key = TestKey(alg);
    const VerificationKey verifier = VerificationKey::FromSigningKey(key);
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          const std::string input = absl::StrCat("thread ", t, " message ", i);
          absl::StatusOr<std::string> signature = key.Sign(input);
          if (!signature.ok() || !verifier.Verify(input, *signature).ok() ||
              verifier.Verify(input + "!", *signature).ok()) {
            ++failures;
          }
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    EXPECT_EQ(failures.load(), 0) << AlgorithmName(alg);
  }
}

TEST(KeyGenerationTest, GeneratesDistinctLoadableKeys) {
  for (Algorithm alg : {Algorithm::kEs256, Algorithm::kEdDsa, Algorithm::kRs256}) {
    absl::StatusOr<std::string> a = GeneratePrivateKeyPem(alg);
    absl::StatusOr<std::string> b = GeneratePrivateKeyPem(alg);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_NE(*a, *b);
    EXPECT_TRUE(absl::StartsWith(*a, "-----BEGIN PRIVATE KEY-----\n"));
    absl::StatusOr<SigningKey> key = SigningKey::FromPem(*a);
    ASSERT_TRUE(key.ok()) << key.status();
    EXPECT_EQ(key->alg(), alg);
    if (alg == Algorithm::kRs256) {
      EXPECT_EQ(Base64UrlDecode(key->public_jwk().n)->size(), 384u);  // RSA 3072.
      EXPECT_EQ(key->public_jwk().e, "AQAB");
    }
  }
}

TEST(AlgorithmTest, NamesRoundTripAndUnknownRejected) {
  for (Algorithm alg : {Algorithm::kRs256, Algorithm::kEs256, Algorithm::kEdDsa}) {
    EXPECT_EQ(ParseAlgorithm(AlgorithmName(alg)).value(), alg);
  }
  for (const char* bad : {"none", "HS256", "es256", "PS256", "ES384", "Ed25519", ""}) {
    EXPECT_FALSE(ParseAlgorithm(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace oauthd::jose
