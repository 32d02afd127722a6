#ifndef OAUTHD_TESTS_FUZZ_FUZZ_KEYS_H_
#define OAUTHD_TESTS_FUZZ_FUZZ_KEYS_H_

// Signing keys for the fuzz targets, generated once per process (no key is
// committed). Seeds cannot carry valid signatures for them, so a target that
// needs a validly signed token signs what the input describes.

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "oauth/v1/token.pb.h"
#include "server/jose/key_set.h"
#include "server/jose/signing_key.h"

namespace oauthd::fuzz {

// The three algorithms' keys in the order RS256, ES256, EdDSA.
const std::vector<std::shared_ptr<const jose::SigningKey>>& FuzzSigningKeys();

// The same keys with ES256 first, for a TokenIssuer (the first key signs, and
// ES256 signs fastest).
std::vector<std::shared_ptr<const jose::SigningKey>> FuzzIssuerKeys();

// Fixed short kids for FuzzSigningKeys() in the same order, so seed tokens
// can name a key: "rs", "es", "ed".
const std::vector<std::string>& FuzzKids();

// A KeySet of the public halves of FuzzSigningKeys() under FuzzKids().
const jose::KeySet& FuzzKeySet();

// The same keys as a GetJwks answer (what the client library fetches).
oauth::v1::GetJwksResponse FuzzJwks();

// The other ECDSA signature of the same message and key as the 64-byte P-256
// R || S `signature`: R || (n - S), computed with OpenSSL's group order.
std::string HighSTwin(absl::string_view signature);

}  // namespace oauthd::fuzz

#endif  // OAUTHD_TESTS_FUZZ_FUZZ_KEYS_H_
