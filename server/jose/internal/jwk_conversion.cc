#include "server/jose/internal/jwk_conversion.h"

#include <openssl/core_names.h>
#include <openssl/err.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "server/core/status_macros.h"
#include "server/jose/base64url.h"
#include "server/jose/internal/printable.h"

namespace oauthd::jose::internal {
namespace {

constexpr size_t kP256FieldSize = 32;
constexpr size_t kEd25519KeySize = 32;

// OpenSSL's name for P-256.
constexpr char kP256GroupName[] = "prime256v1";

absl::Status Invalid(absl::string_view message) {
  ERR_clear_error();
  return absl::InvalidArgumentError(message);
}

absl::StatusOr<std::string> DecodeMember(absl::string_view name, absl::string_view value) {
  if (value.empty()) return Invalid(absl::StrCat("JWK lacks \"", name, "\""));
  std::string decoded;
  if (!Base64UrlDecodeTo(value, &decoded)) {
    return Invalid(absl::StrCat("JWK member \"", name, "\" is not unpadded base64url"));
  }
  return decoded;
}

absl::Status CheckAlgAndUse(const Jwk& jwk, Algorithm expected) {
  if (!jwk.alg.empty() && jwk.alg != AlgorithmName(expected)) {
    return Invalid(absl::StrCat("JWK alg \"", Printable(jwk.alg), "\" is not supported for kty \"",
                                jwk.kty, "\" (expected ", AlgorithmName(expected), ")"));
  }
  if (!jwk.use.empty() && jwk.use != "sig") {
    return Invalid(absl::StrCat("JWK use \"", Printable(jwk.use), "\" is not \"sig\""));
  }
  return absl::OkStatus();
}

absl::StatusOr<PkeyPtr> FromData(const char* key_type, OSSL_PARAM_BLD* bld) {
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, key_type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (params == nullptr || ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return Invalid(absl::StrCat("JWK: invalid ", key_type, " public key (",
                                ConsumeOpenSslError("rejected by OpenSSL"), ")"));
  }
  return PkeyPtr(raw);
}

absl::StatusOr<PkeyPtr> ImportRsa(const Jwk& jwk) {
  ASSIGN_OR_RETURN(std::string n_bytes, DecodeMember("n", jwk.n));
  ASSIGN_OR_RETURN(std::string e_bytes, DecodeMember("e", jwk.e));
  BignumPtr n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n_bytes.data()),
                        static_cast<int>(n_bytes.size()), nullptr));
  BignumPtr e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e_bytes.data()),
                        static_cast<int>(e_bytes.size()), nullptr));
  if (n == nullptr || e == nullptr) return Invalid("JWK: cannot read RSA n/e");
  if (BN_num_bits(n.get()) < kMinRsaBits) {
    return Invalid(absl::StrCat("JWK: RSA key of ", BN_num_bits(n.get()),
                                " bits is too small (minimum ", kMinRsaBits, ")"));
  }
  if (!BN_is_odd(e.get()) || BN_is_one(e.get()) || BN_num_bits(e.get()) > 256) {
    return Invalid("JWK: RSA exponent e is invalid");
  }
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    return Invalid("JWK: cannot build RSA key parameters");
  }
  return FromData("RSA", bld.get());
}

absl::StatusOr<PkeyPtr> ImportP256(const Jwk& jwk) {
  ASSIGN_OR_RETURN(std::string x, DecodeMember("x", jwk.x));
  ASSIGN_OR_RETURN(std::string y, DecodeMember("y", jwk.y));
  // RFC 7518 §6.2.1.2/3: coordinates are full-length, leading zeros kept.
  if (x.size() != kP256FieldSize || y.size() != kP256FieldSize) {
    return Invalid("JWK: P-256 coordinates x and y must be 32 bytes each");
  }
  std::string point = absl::StrCat("\x04", x, y);  // SEC 1 uncompressed point.
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, kP256GroupName, 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return Invalid("JWK: cannot build EC key parameters");
  }
  ASSIGN_OR_RETURN(PkeyPtr pkey, FromData("EC", bld.get()));
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (check == nullptr || EVP_PKEY_public_check(check.get()) != 1) {
    return Invalid("JWK: EC point is not a valid P-256 public key");
  }
  return pkey;
}

absl::StatusOr<PkeyPtr> ImportEd25519(const Jwk& jwk) {
  ASSIGN_OR_RETURN(std::string x, DecodeMember("x", jwk.x));
  if (x.size() != kEd25519KeySize) return Invalid("JWK: Ed25519 x must be 32 bytes");
  PkeyPtr pkey(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(x.data()), x.size()));
  if (pkey == nullptr) return Invalid("JWK: invalid Ed25519 public key");
  return pkey;
}

}  // namespace

absl::StatusOr<Algorithm> AlgorithmForKey(const EVP_PKEY* pkey) {
  if (EVP_PKEY_is_a(pkey, "RSA")) {
    const int bits = EVP_PKEY_get_bits(pkey);
    if (bits < kMinRsaBits) {
      return Invalid(absl::StrCat("RSA key of ", bits, " bits is too small (minimum ",
                                  kMinRsaBits, ")"));
    }
    return Algorithm::kRs256;
  }
  if (EVP_PKEY_is_a(pkey, "EC")) {
    char group[64] = {};
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                       &len) != 1) {
      return Invalid("EC key with explicit curve parameters is not supported (use P-256)");
    }
    if (absl::string_view(group, len) != kP256GroupName) {
      return Invalid(absl::StrCat("unsupported EC curve ", absl::string_view(group, len),
                                  " (ES256 needs P-256)"));
    }
    return Algorithm::kEs256;
  }
  if (EVP_PKEY_is_a(pkey, "ED25519")) return Algorithm::kEdDsa;
  const char* name = EVP_PKEY_get0_type_name(pkey);
  return Invalid(absl::StrCat("unsupported key type ", name != nullptr ? name : "(unknown)",
                              " (supported: RSA >= 2048 bits, EC P-256, Ed25519)"));
}

absl::StatusOr<Jwk> PublicJwkFromKey(const EVP_PKEY* pkey, Algorithm alg) {
  Jwk jwk;
  jwk.use = "sig";
  jwk.alg = std::string(AlgorithmName(alg));
  switch (alg) {
    case Algorithm::kRs256: {
      BIGNUM* n = nullptr;
      BIGNUM* e = nullptr;
      const bool ok = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) == 1 &&
                      EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) == 1;
      BignumPtr n_owner(n), e_owner(e);
      if (!ok) {
        return absl::InternalError(
            absl::StrCat("cannot read RSA public key: ", ConsumeOpenSslError()));
      }
      jwk.kty = "RSA";
      jwk.n = Base64UrlEncode(BignumToBytes(n));
      jwk.e = Base64UrlEncode(BignumToBytes(e));
      break;
    }
    case Algorithm::kEs256: {
      BIGNUM* x = nullptr;
      BIGNUM* y = nullptr;
      const bool ok = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1 &&
                      EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1;
      BignumPtr x_owner(x), y_owner(y);
      unsigned char x_bytes[kP256FieldSize];
      unsigned char y_bytes[kP256FieldSize];
      if (!ok || BN_bn2binpad(x, x_bytes, sizeof(x_bytes)) != sizeof(x_bytes) ||
          BN_bn2binpad(y, y_bytes, sizeof(y_bytes)) != sizeof(y_bytes)) {
        return absl::InternalError(
            absl::StrCat("cannot read EC public key: ", ConsumeOpenSslError()));
      }
      jwk.kty = "EC";
      jwk.crv = "P-256";
      jwk.x = Base64UrlEncode(
          absl::string_view(reinterpret_cast<const char*>(x_bytes), sizeof(x_bytes)));
      jwk.y = Base64UrlEncode(
          absl::string_view(reinterpret_cast<const char*>(y_bytes), sizeof(y_bytes)));
      break;
    }
    case Algorithm::kEdDsa: {
      unsigned char raw[kEd25519KeySize];
      size_t len = sizeof(raw);
      if (EVP_PKEY_get_raw_public_key(pkey, raw, &len) != 1 || len != sizeof(raw)) {
        return absl::InternalError(
            absl::StrCat("cannot read Ed25519 public key: ", ConsumeOpenSslError()));
      }
      jwk.kty = "OKP";
      jwk.crv = "Ed25519";
      jwk.x = Base64UrlEncode(absl::string_view(reinterpret_cast<const char*>(raw), len));
      break;
    }
  }
  ASSIGN_OR_RETURN(jwk.kid, JwkThumbprint(jwk));
  return jwk;
}

absl::StatusOr<ImportedKey> ImportPublicJwk(const Jwk& jwk) {
  ImportedKey imported;
  if (jwk.kty == "RSA") {
    imported.alg = Algorithm::kRs256;
    RETURN_IF_ERROR(CheckAlgAndUse(jwk, imported.alg));
    ASSIGN_OR_RETURN(imported.pkey, ImportRsa(jwk));
  } else if (jwk.kty == "EC") {
    if (jwk.crv != "P-256") {
      return Invalid(absl::StrCat("JWK: unsupported EC curve \"", Printable(jwk.crv),
                                  "\" (ES256 needs P-256)"));
    }
    imported.alg = Algorithm::kEs256;
    RETURN_IF_ERROR(CheckAlgAndUse(jwk, imported.alg));
    ASSIGN_OR_RETURN(imported.pkey, ImportP256(jwk));
  } else if (jwk.kty == "OKP") {
    if (jwk.crv != "Ed25519") {
      return Invalid(absl::StrCat("JWK: unsupported OKP curve \"", Printable(jwk.crv),
                                  "\" (EdDSA needs Ed25519)"));
    }
    imported.alg = Algorithm::kEdDsa;
    RETURN_IF_ERROR(CheckAlgAndUse(jwk, imported.alg));
    ASSIGN_OR_RETURN(imported.pkey, ImportEd25519(jwk));
  } else {
    return Invalid(absl::StrCat("JWK: unsupported kty \"", Printable(jwk.kty),
                                "\" (supported: RSA, EC, OKP)"));
  }
  return imported;
}

}  // namespace oauthd::jose::internal
