// Verifier throughput on an ES256 access token against OpenSSL's raw ES256
// verification of the same token with the same key, in one binary.
//
//   build-client/bench/verifier_bench --benchmark_repetitions=5
//       --benchmark_enable_random_interleaving=true
//
// Baselines (both verify the token's signing input and signature):
//   BM_OpenSsl_PkeyVerify   SHA-256 + EVP_PKEY_verify on a context
//                           initialised once: the fastest way to use OpenSSL.
//   BM_OpenSsl_DigestVerify EVP_DigestVerifyInit + EVP_DigestVerify per
//                           token: the usual one-shot OpenSSL call.
// Under test:
//   BM_Verifier_ES256       client::Verifier::Verify: JWS parsing, key
//                           lookup, signature, claims (typ, iss, exp, nbf,
//                           iat, aud, scope), typed AccessToken out.
// For reference:
//   BM_KeySet_VerifyJwt_FullPayload  jose::KeySet::VerifyJwt with the
//                           protobuf Struct payload (what the Verifier avoids).
//   BM_ServerAuthenticator_CacheHit  a repeated token in the gRPC glue.
// At the end the binary prints the Verifier's rate as a share of each
// baseline (medians when repetitions are used).

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "absl/strings/str_cat.h"
#include "client/lib/authorization_server.h"
#include "client/lib/grpc_auth.h"
#include "client/lib/verifier.h"
#include "server/jose/base64url.h"
#include "server/jose/jwt.h"
#include "server/jose/key_generation.h"
#include "server/jose/key_set.h"
#include "server/jose/signing_key.h"

namespace {

using oauthd::client::AuthorizationServer;

constexpr char kIssuer[] = "https://auth.example.com";
constexpr char kAudience[] = "https://inventory.example.com";

void Die(const std::string& what) {
  std::fprintf(stderr, "verifier_bench: %s\n", what.c_str());
  std::exit(1);
}

// One ES256 key, one token signed with it, and OpenSSL views of both.
struct Fixture {
  std::string pem;
  std::unique_ptr<oauthd::jose::SigningKey> key;
  std::string token;
  std::string signing_input;
  std::string der_signature;
  EVP_PKEY* pkey = nullptr;

  Fixture() {
    absl::StatusOr<std::string> generated =
        oauthd::jose::GeneratePrivateKeyPem(oauthd::jose::Algorithm::kEs256);
    if (!generated.ok()) Die(generated.status().ToString());
    pem = *generated;
    absl::StatusOr<oauthd::jose::SigningKey> loaded =
        oauthd::jose::SigningKey::FromPem(pem, "bench key");
    if (!loaded.ok()) Die(loaded.status().ToString());
    key = std::make_unique<oauthd::jose::SigningKey>(*std::move(loaded));

    // A typical oauthd access token, valid for a day from now.
    oauthd::jose::AccessTokenClaims claims;
    claims.iss = kIssuer;
    claims.sub = "4f1c2a9e-user";
    claims.aud = {kAudience};
    claims.iat = absl::ToUnixSeconds(absl::Now());
    claims.exp = claims.iat + 86400;
    claims.jti = "Xv3qZ0mQ7b9sK1pW4tR8yA";
    claims.client_id = "billing-service";
    claims.scope = "inventory.read inventory.write";
    absl::StatusOr<std::string> encoded = oauthd::jose::EncodeJwt(*key, claims);
    if (!encoded.ok()) Die(encoded.status().ToString());
    token = *encoded;

    signing_input = token.substr(0, token.rfind('.'));
    absl::StatusOr<std::string> raw =
        oauthd::jose::Base64UrlDecode(token.substr(token.rfind('.') + 1));
    if (!raw.ok() || raw->size() != 64) Die("unexpected ES256 signature");
    // JOSE R||S -> DER, the form OpenSSL verifies.
    ECDSA_SIG* sig = ECDSA_SIG_new();
    BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw->data()), 32, nullptr);
    BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw->data()) + 32, 32, nullptr);
    ECDSA_SIG_set0(sig, r, s);
    unsigned char* der = nullptr;
    const int der_len = i2d_ECDSA_SIG(sig, &der);
    if (der_len <= 0) Die("i2d_ECDSA_SIG");
    der_signature.assign(reinterpret_cast<char*>(der), der_len);
    OPENSSL_free(der);
    ECDSA_SIG_free(sig);

    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (pkey == nullptr) Die("PEM_read_bio_PrivateKey");
  }
};

const Fixture& F() {
  static const Fixture* fixture = new Fixture();
  return *fixture;
}

// Serves the fixture key's JWK Set; nothing else is called.
class StaticJwksServer final : public AuthorizationServer {
 public:
  absl::StatusOr<oauth::v1::TokenResponse> IssueToken(
      const oauth::v1::IssueTokenRequest&) override {
    return absl::UnimplementedError("bench");
  }
  absl::StatusOr<oauth::v1::GetJwksResponse> GetJwks() override {
    const oauthd::jose::Jwk& jwk = F().key->public_jwk();
    oauth::v1::GetJwksResponse response;
    oauth::v1::Jwk* key = response.add_keys();
    key->set_kty(jwk.kty);
    key->set_kid(jwk.kid);
    key->set_use(jwk.use);
    key->set_alg(jwk.alg);
    key->set_crv(jwk.crv);
    key->set_x(jwk.x);
    key->set_y(jwk.y);
    return response;
  }
  absl::StatusOr<oauth::v1::IntrospectResponse> Introspect(
      const oauth::v1::IntrospectRequest&) override {
    return absl::UnimplementedError("bench");
  }
};

std::shared_ptr<oauthd::client::Verifier> MakeVerifier() {
  oauthd::client::VerifierOptions options;
  options.issuer = kIssuer;
  options.audience = kAudience;
  options.required_scopes = {"inventory.read"};
  absl::StatusOr<std::shared_ptr<oauthd::client::Verifier>> verifier =
      oauthd::client::Verifier::Create(std::make_shared<StaticJwksServer>(), options);
  if (!verifier.ok()) Die(verifier.status().ToString());
  if (absl::Status s = (*verifier)->RefreshKeys(); !s.ok()) Die(s.ToString());
  return *verifier;
}

void BM_OpenSsl_PkeyVerify(benchmark::State& state) {
  const Fixture& f = F();
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, f.pkey, nullptr);
  if (ctx == nullptr || EVP_PKEY_verify_init(ctx) != 1) Die("EVP_PKEY_verify_init");
  unsigned char digest[SHA256_DIGEST_LENGTH];
  for (auto _ : state) {
    SHA256(reinterpret_cast<const unsigned char*>(f.signing_input.data()),
           f.signing_input.size(), digest);
    const int ok = EVP_PKEY_verify(
        ctx, reinterpret_cast<const unsigned char*>(f.der_signature.data()),
        f.der_signature.size(), digest, sizeof(digest));
    if (ok != 1) Die("EVP_PKEY_verify failed");
    benchmark::DoNotOptimize(ok);
  }
  EVP_PKEY_CTX_free(ctx);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_OpenSsl_PkeyVerify);

void BM_OpenSsl_DigestVerify(benchmark::State& state) {
  const Fixture& f = F();
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  for (auto _ : state) {
    if (EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, f.pkey) != 1) {
      Die("EVP_DigestVerifyInit");
    }
    const int ok = EVP_DigestVerify(
        ctx, reinterpret_cast<const unsigned char*>(f.der_signature.data()),
        f.der_signature.size(), reinterpret_cast<const unsigned char*>(f.signing_input.data()),
        f.signing_input.size());
    if (ok != 1) Die("EVP_DigestVerify failed");
    benchmark::DoNotOptimize(ok);
    EVP_MD_CTX_reset(ctx);
  }
  EVP_MD_CTX_free(ctx);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_OpenSsl_DigestVerify);

void BM_Verifier_ES256(benchmark::State& state) {
  auto verifier = MakeVerifier();
  const std::string& token = F().token;
  for (auto _ : state) {
    oauthd::client::VerifyResult result = verifier->Verify(token);
    if (!result.ok()) Die(result.error().message);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Verifier_ES256);

void BM_KeySet_VerifyJwt_FullPayload(benchmark::State& state) {
  absl::StatusOr<oauthd::jose::KeySet> keys =
      oauthd::jose::KeySet::FromJwks({F().key->public_jwk()});
  if (!keys.ok()) Die(keys.status().ToString());
  for (auto _ : state) {
    absl::StatusOr<oauthd::jose::VerifiedJwt> jwt = keys->VerifyJwt(F().token);
    if (!jwt.ok()) Die(jwt.status().ToString());
    benchmark::DoNotOptimize(jwt);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_KeySet_VerifyJwt_FullPayload);

void BM_ServerAuthenticator_CacheHit(benchmark::State& state) {
  auto auth = oauthd::client::ServerAuthenticator::Create(MakeVerifier());
  const std::string header = "Bearer " + F().token;
  const std::multimap<grpc::string_ref, grpc::string_ref> metadata{{"authorization", header}};
  for (auto _ : state) {
    oauthd::client::VerifyResult result = auth->Authenticate(metadata);
    if (!result.ok()) Die(result.error().message);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ServerAuthenticator_CacheHit);

// Console output as usual, plus the items/s of each benchmark (the median
// when repeated) for the summary.
class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.error_occurred) continue;
      const auto it = run.counters.find("items_per_second");
      if (it == run.counters.end()) continue;
      const std::string name = run.run_name.function_name;
      if (run.run_type == Run::RT_Aggregate) {
        if (run.aggregate_name == "median") medians_[name] = it->second.value;
      } else {
        singles_[name].push_back(it->second.value);
      }
    }
  }

  // Median if reported, else the mean of the single runs; 0 if absent.
  double Rate(const std::string& name) const {
    if (const auto it = medians_.find(name); it != medians_.end()) return it->second;
    const auto it = singles_.find(name);
    if (it == singles_.end() || it->second.empty()) return 0;
    double sum = 0;
    for (double v : it->second) sum += v;
    return sum / it->second.size();
  }

 private:
  std::map<std::string, double> medians_;
  std::map<std::string, std::vector<double>> singles_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  SummaryReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();

  const double verifier = reporter.Rate("BM_Verifier_ES256");
  const double pkey = reporter.Rate("BM_OpenSsl_PkeyVerify");
  const double digest = reporter.Rate("BM_OpenSsl_DigestVerify");
  if (verifier > 0 && pkey > 0 && digest > 0) {
    std::printf(
        "\nES256: Verifier %.0f/s; OpenSSL raw EVP_PKEY_verify %.0f/s (Verifier = %.1f%%), "
        "EVP_DigestVerify %.0f/s (Verifier = %.1f%%); target >= 80%%\n",
        verifier, pkey, 100 * verifier / pkey, digest, 100 * verifier / digest);
  }
  return 0;
}
