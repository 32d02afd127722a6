#include "tests/jose/test_keys.h"

#include <stdlib.h>

#include <cstdio>
#include <map>
#include <mutex>
#include <utility>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
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

namespace {

// The P-256 group order, from OpenSSL (not from the code under test).
BIGNUM* P256Order() {
  EC_GROUP* group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  BIGNUM* order = BN_dup(EC_GROUP_get0_order(group));
  EC_GROUP_free(group);
  return order;
}

// The signature bytes of an ES256 compact JWS, or "" (with a test failure).
std::string EcdsaSignature(absl::string_view compact) {
  const size_t dot = compact.rfind('.');
  absl::StatusOr<std::string> signature =
      Base64UrlDecode(compact.substr(dot == absl::string_view::npos ? 0 : dot + 1));
  if (dot == absl::string_view::npos || !signature.ok() || signature->size() != 64) {
    ADD_FAILURE() << "not an ES256 compact JWS";
    return "";
  }
  return *signature;
}

}  // namespace

std::string EcdsaHighSTwin(absl::string_view compact) {
  std::string signature = EcdsaSignature(compact);
  if (signature.empty()) return "";
  auto* bytes = reinterpret_cast<unsigned char*>(signature.data());
  BIGNUM* order = P256Order();
  BIGNUM* s = BN_bin2bn(bytes + 32, 32, nullptr);
  BN_sub(s, order, s);
  BN_bn2binpad(s, bytes + 32, 32);
  BN_free(s);
  BN_free(order);
  return absl::StrCat(compact.substr(0, compact.rfind('.') + 1), Base64UrlEncode(signature));
}

bool EcdsaHasLowS(absl::string_view compact) {
  const std::string signature = EcdsaSignature(compact);
  if (signature.empty()) return false;
  BIGNUM* half = P256Order();
  BN_rshift1(half, half);
  BIGNUM* s =
      BN_bin2bn(reinterpret_cast<const unsigned char*>(signature.data()) + 32, 32, nullptr);
  const bool low = BN_cmp(s, half) <= 0;
  BN_free(s);
  BN_free(half);
  return low;
}

Algorithm Alg(absl::string_view name) {
  absl::StatusOr<Algorithm> alg = ParseAlgorithm(name);
  if (!alg.ok()) abort();
  return *alg;
}

}  // namespace oauthd::jose::testing
