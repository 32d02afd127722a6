// Signing throughput of jose::SigningKey (what every issued token costs)
// against OpenSSL signing the same input with the same key directly, per
// algorithm, with 1 and 2 threads sharing one key (as oauthd's workers do).
//
//   build/bench/sign_bench --benchmark_repetitions=3
//
// BM_OpenSsl_DigestSign: EVP_DigestSignInit + EVP_DigestSign on a context
// made once per thread, i.e. OpenSSL at its fastest; BM_SigningKey: our
// SigningKey::Sign. `openssl speed` gives the same raw rates for one thread.

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdio>
#include <memory>
#include <string>

#include <benchmark/benchmark.h>

#include "server/jose/algorithm.h"
#include "server/jose/key_generation.h"
#include "server/jose/signing_key.h"

namespace {

using oauthd::jose::Algorithm;

// A JWT-sized signing input.
const std::string kInput(420, 'a');

struct Key {
  std::unique_ptr<oauthd::jose::SigningKey> ours;
  EVP_PKEY* raw = nullptr;
};

const Key& KeyFor(Algorithm alg) {
  static Key keys[3];
  Key& k = keys[static_cast<int>(alg)];
  if (k.raw == nullptr) {
    absl::StatusOr<std::string> pem = oauthd::jose::GeneratePrivateKeyPem(alg);
    if (!pem.ok()) std::abort();
    absl::StatusOr<oauthd::jose::SigningKey> key = oauthd::jose::SigningKey::FromPem(*pem);
    if (!key.ok()) std::abort();
    k.ours = std::make_unique<oauthd::jose::SigningKey>(*std::move(key));
    BIO* bio = BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size()));
    k.raw = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
  }
  return k;
}

void BM_SigningKey(benchmark::State& state, Algorithm alg) {
  const Key& key = KeyFor(alg);
  for (auto _ : state) {
    absl::StatusOr<std::string> sig = key.ours->Sign(kInput);
    benchmark::DoNotOptimize(sig);
  }
}

void BM_OpenSsl_DigestSign(benchmark::State& state, Algorithm alg) {
  const Key& key = KeyFor(alg);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned char sig[512];
  for (auto _ : state) {
    size_t len = sizeof(sig);
    EVP_DigestSignInit(ctx, nullptr, alg == Algorithm::kEdDsa ? nullptr : EVP_sha256(), nullptr,
                       key.raw);
    EVP_DigestSign(ctx, sig, &len, reinterpret_cast<const unsigned char*>(kInput.data()),
                   kInput.size());
    benchmark::DoNotOptimize(sig);
  }
  EVP_MD_CTX_free(ctx);
}

}  // namespace

#define SIGN_BENCH(name, alg)                                                        \
  BENCHMARK_CAPTURE(BM_OpenSsl_DigestSign, name, alg)->Threads(1)->Threads(2)->UseRealTime(); \
  BENCHMARK_CAPTURE(BM_SigningKey, name, alg)->Threads(1)->Threads(2)->UseRealTime();
SIGN_BENCH(ES256, Algorithm::kEs256)
SIGN_BENCH(RS256, Algorithm::kRs256)
SIGN_BENCH(EdDSA, Algorithm::kEdDsa)

BENCHMARK_MAIN();
