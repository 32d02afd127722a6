#include "server/jose/internal/ecdsa_signature.h"

#include <openssl/bn.h>
#include <openssl/ec.h>

#include <cstring>

#include "server/jose/internal/openssl_util.h"

namespace oauthd::jose::internal {
namespace {

// The order n of the P-256 group (SEC 2 v2 §2.4.2), big-endian.
constexpr unsigned char kP256Order[32] = {
    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51};

// floor(n / 2): the largest S of a low-S signature.
constexpr unsigned char kP256HalfOrder[32] = {
    0x7F, 0xFF, 0xFF, 0xFF, 0x80, 0x00, 0x00, 0x00, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xDE, 0x73, 0x7D, 0x56, 0xD3, 0x8B, 0xCF, 0x42, 0x79, 0xDC, 0xE5, 0x61, 0x7E, 0x31, 0x92, 0xA8};

}  // namespace

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

bool IsLowSP256(absl::string_view jose) {
  // Fixed-width big-endian numbers compare like byte strings.
  return jose.size() == 2 * kP256CoordinateSize &&
         std::memcmp(jose.data() + kP256CoordinateSize, kP256HalfOrder, kP256CoordinateSize) <= 0;
}

void NormalizeToLowSP256(std::string* jose) {
  if (jose->size() != 2 * kP256CoordinateSize || IsLowSP256(*jose)) return;
  // S := n - S, byte by byte from the least significant end.
  auto* s = reinterpret_cast<unsigned char*>(jose->data()) + kP256CoordinateSize;
  int borrow = 0;
  for (size_t i = kP256CoordinateSize; i-- > 0;) {
    const int difference = kP256Order[i] - s[i] - borrow;
    borrow = difference < 0 ? 1 : 0;
    s[i] = static_cast<unsigned char>(difference + (borrow << 8));
  }
}

}  // namespace oauthd::jose::internal
