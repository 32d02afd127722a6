#include "server/jose/internal/ecdsa_signature.h"

#include <openssl/bn.h>
#include <openssl/ec.h>

#include "server/jose/internal/openssl_util.h"

namespace oauthd::jose::internal {

bool EcdsaDerToJose(absl::string_view der, size_t coordinate_size, std::string* jose) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (sig == nullptr ||
      p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    return false;
  }
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  jose->resize(2 * coordinate_size);
  auto* out = reinterpret_cast<unsigned char*>(jose->data());
  const int width = static_cast<int>(coordinate_size);
  // BN_bn2binpad fails (returns -1) if the value does not fit in `width`.
  return BN_bn2binpad(r, out, width) == width &&
         BN_bn2binpad(s, out + coordinate_size, width) == width;
}

bool EcdsaJoseToDer(absl::string_view jose, size_t coordinate_size, std::string* der) {
  if (jose.size() != 2 * coordinate_size) return false;
  const auto* in = reinterpret_cast<const unsigned char*>(jose.data());
  const int width = static_cast<int>(coordinate_size);
  BignumPtr r(BN_bin2bn(in, width, nullptr));
  BignumPtr s(BN_bin2bn(in + coordinate_size, width, nullptr));
  EcdsaSigPtr sig(ECDSA_SIG_new());
  if (r == nullptr || s == nullptr || sig == nullptr) return false;
  if (ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return false;
  r.release();  // Now owned by `sig`.
  s.release();
  const int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return false;
  der->resize(static_cast<size_t>(len));
  auto* out = reinterpret_cast<unsigned char*>(der->data());
  return i2d_ECDSA_SIG(sig.get(), &out) == len;
}

}  // namespace oauthd::jose::internal
