#include "tests/fuzz/fuzz_keys.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <cstdio>
#include <cstdlib>

#include "google/protobuf/util/json_util.h"
#include "server/jose/jwks.h"
#include "server/jose/key_generation.h"

namespace oauthd::fuzz {
namespace {

[[noreturn]] void Die(const absl::Status& status) {
  std::fprintf(stderr, "fuzz key setup failed: %s\n", status.ToString().c_str());
  std::abort();
}

// RSA keys are 2048 bits, the least SigningKey accepts: the production
// generator's 3072 bits would make every RS256 signature 3x slower to fuzz.
absl::StatusOr<std::string> PrivateKeyPem(jose::Algorithm alg) {
  if (alg != jose::Algorithm::kRs256) return jose::GeneratePrivateKeyPem(alg);
  EVP_PKEY* pkey = EVP_RSA_gen(2048);
  BIO* bio = BIO_new(BIO_s_mem());
  std::string pem;
  if (pkey != nullptr && bio != nullptr &&
      PEM_write_bio_PrivateKey(bio, pkey, nullptr, nullptr, 0, nullptr, nullptr) == 1) {
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    pem.assign(data, static_cast<size_t>(size));
  }
  BIO_free(bio);
  EVP_PKEY_free(pkey);
  if (pem.empty()) return absl::InternalError("cannot generate an RSA key");
  return pem;
}

jose::Jwk PublicJwk(size_t index) {
  jose::Jwk jwk = FuzzSigningKeys()[index]->public_jwk();
  jwk.kid = FuzzKids()[index];
  return jwk;
}

}  // namespace

const std::vector<std::shared_ptr<const jose::SigningKey>>& FuzzSigningKeys() {
  static const auto* keys = [] {
    auto* out = new std::vector<std::shared_ptr<const jose::SigningKey>>();
    for (jose::Algorithm alg :
         {jose::Algorithm::kRs256, jose::Algorithm::kEs256, jose::Algorithm::kEdDsa}) {
      absl::StatusOr<std::string> pem = PrivateKeyPem(alg);
      if (!pem.ok()) Die(pem.status());
      absl::StatusOr<jose::SigningKey> key = jose::SigningKey::FromPem(*pem, "fuzz key");
      if (!key.ok()) Die(key.status());
      out->push_back(std::make_shared<const jose::SigningKey>(*std::move(key)));
    }
    return out;
  }();
  return *keys;
}

std::vector<std::shared_ptr<const jose::SigningKey>> FuzzIssuerKeys() {
  const auto& keys = FuzzSigningKeys();
  return {keys[1], keys[2], keys[0]};
}

const std::vector<std::string>& FuzzKids() {
  static const auto* kids = new std::vector<std::string>{"rs", "es", "ed"};
  return *kids;
}

const jose::KeySet& FuzzKeySet() {
  static const auto* set = [] {
    std::vector<jose::VerificationKey> keys;
    for (size_t i = 0; i < FuzzKids().size(); ++i) {
      absl::StatusOr<jose::VerificationKey> key = jose::VerificationKey::FromJwk(PublicJwk(i));
      if (!key.ok()) Die(key.status());
      keys.push_back(*std::move(key));
    }
    absl::StatusOr<jose::KeySet> created = jose::KeySet::Create(std::move(keys));
    if (!created.ok()) Die(created.status());
    return new jose::KeySet(*std::move(created));
  }();
  return *set;
}

oauth::v1::GetJwksResponse FuzzJwks() {
  std::vector<jose::Jwk> jwks;
  for (size_t i = 0; i < FuzzKids().size(); ++i) jwks.push_back(PublicJwk(i));
  // The proto's JSON names are the JWK member names.
  oauth::v1::GetJwksResponse response;
  if (!google::protobuf::util::JsonStringToMessage(jose::RenderJwks(jwks), &response).ok()) {
    Die(absl::InternalError("cannot convert the fuzz JWKS"));
  }
  return response;
}

std::string HighSTwin(absl::string_view signature) {
  std::string twin(signature);
  if (twin.size() != 64) return twin;
  static const BIGNUM* const order = [] {
    EC_GROUP* group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    BIGNUM* n = BN_dup(EC_GROUP_get0_order(group));
    EC_GROUP_free(group);
    return n;
  }();
  auto* s_bytes = reinterpret_cast<unsigned char*>(twin.data()) + 32;
  BIGNUM* s = BN_bin2bn(s_bytes, 32, nullptr);
  BN_sub(s, order, s);
  BN_bn2binpad(s, s_bytes, 32);
  BN_free(s);
  return twin;
}

}  // namespace oauthd::fuzz
