#include "tests/jose/test_keys.h"

#include <stdlib.h>

#include <cstdio>
#include <map>
#include <mutex>
#include <utility>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/jose/base64url.h"
#include "server/jose/key_generation.h"

namespace oauthd::jose::testing {
namespace {

std::string BioToString(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

template <typename Write>
std::string PemOf(EVP_PKEY* pkey, Write write) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr || write(bio, pkey) != 1) {
    ADD_FAILURE() << "cannot write PEM";
  }
  std::string pem = BioToString(bio);
  BIO_free(bio);
  EVP_PKEY_free(pkey);
  return pem;
}

struct Generated {
  std::string pem;
  SigningKey key;
};

const Generated& GetGenerated(Algorithm alg, int slot) {
  static std::mutex mu;
  static auto* cache = new std::map<std::pair<Algorithm, int>, Generated>();
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache->find({alg, slot});
  if (it == cache->end()) {
    // RSA test keys are 2048 bits (the production generator's 3072 bits take
    // ~0.5 s each; KeyGenerationTest covers it).
    absl::StatusOr<std::string> pem =
        alg == Algorithm::kRs256 ? absl::StatusOr<std::string>(RsaPem(2048, false))
                                 : GeneratePrivateKeyPem(alg);
    if (!pem.ok()) {
      fprintf(stderr, "key generation failed: %s\n", pem.status().ToString().c_str());
      abort();
    }
    absl::StatusOr<SigningKey> key = SigningKey::FromPem(*pem, "test key");
    if (!key.ok()) {
      fprintf(stderr, "key load failed: %s\n", key.status().ToString().c_str());
      abort();
    }
    it = cache->emplace(std::make_pair(alg, slot), Generated{*pem, *key}).first;
  }
  return it->second;
}

}  // namespace

const SigningKey& TestKey(Algorithm alg, int slot) { return GetGenerated(alg, slot).key; }

const std::string& TestKeyPem(Algorithm alg, int slot) { return GetGenerated(alg, slot).pem; }

std::string RsaPem(int bits, bool traditional) {
  EVP_PKEY* pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits));
  return PemOf(pkey, [traditional](BIO* bio, EVP_PKEY* k) {
    return traditional ? PEM_write_bio_PrivateKey_traditional(bio, k, nullptr, nullptr, 0,
                                                              nullptr, nullptr)
                       : PEM_write_bio_PKCS8PrivateKey(bio, k, nullptr, nullptr, 0, nullptr,
                                                       nullptr);
  });
}

std::string EcPem(const char* curve, bool traditional) {
  EVP_PKEY* pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve);
  return PemOf(pkey, [traditional](BIO* bio, EVP_PKEY* k) {
    return traditional ? PEM_write_bio_PrivateKey_traditional(bio, k, nullptr, nullptr, 0,
                                                              nullptr, nullptr)
                       : PEM_write_bio_PKCS8PrivateKey(bio, k, nullptr, nullptr, 0, nullptr,
                                                       nullptr);
  });
}

std::string Ed448Pem() {
  EVP_PKEY* pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED448");
  return PemOf(pkey, [](BIO* bio, EVP_PKEY* k) {
    return PEM_write_bio_PKCS8PrivateKey(bio, k, nullptr, nullptr, 0, nullptr, nullptr);
  });
}

std::string PublicKeyPem(absl::string_view pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return PemOf(pkey, [](BIO* out, EVP_PKEY* k) { return PEM_write_bio_PUBKEY(out, k); });
}

std::string EncryptedPem(Algorithm alg) {
  const std::string& pem = TestKeyPem(alg);
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  static char kPassword[] = "correct horse";
  return PemOf(pkey, [](BIO* out, EVP_PKEY* k) {
    return PEM_write_bio_PKCS8PrivateKey(out, k, EVP_aes_256_cbc(), kPassword,
                                         sizeof(kPassword) - 1, nullptr, nullptr);
  });
}

const std::string& ScratchDir() {
  static const std::string* dir = [] {
    std::string pattern = ::testing::TempDir() + "oauthd_jose_XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      perror("mkdtemp");
      abort();
    }
    return new std::string(pattern);
  }();
  return *dir;
}

std::string WriteFile(absl::string_view name, absl::string_view contents) {
  std::string path = absl::StrCat(ScratchDir(), "/", name);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    ADD_FAILURE() << "cannot write " << path;
    return path;
  }
  std::fwrite(contents.data(), 1, contents.size(), f);
  std::fclose(f);
  return path;
}

std::string SignCompact(const SigningKey& key, absl::string_view header_json,
                        absl::string_view payload_json) {
  std::string input = absl::StrCat(Base64UrlEncode(header_json), ".", Base64UrlEncode(payload_json));
  absl::StatusOr<std::string> signature = key.Sign(input);
  EXPECT_TRUE(signature.ok()) << signature.status();
  return absl::StrCat(input, ".", Base64UrlEncode(signature.value_or("")));
}

Algorithm Alg(absl::string_view name) {
  absl::StatusOr<Algorithm> alg = ParseAlgorithm(name);
  if (!alg.ok()) abort();
  return *alg;
}

}  // namespace oauthd::jose::testing
