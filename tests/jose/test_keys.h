#ifndef OAUTHD_TESTS_JOSE_TEST_KEYS_H_
#define OAUTHD_TESTS_JOSE_TEST_KEYS_H_

// Test helpers: keys generated at test time (no key files are committed),
// PEM files in a scratch directory, and hand-built compact JWS for attacks.

#include <string>

#include "absl/strings/string_view.h"
#include "server/jose/algorithm.h"
#include "server/jose/signing_key.h"

namespace oauthd::jose::testing {

// A signing key for `alg`, generated once per process and per `slot` (use
// different slots for distinct keys of the same algorithm). RSA keys are
// 2048 bits; the others come from GeneratePrivateKeyPem.
const SigningKey& TestKey(Algorithm alg, int slot = 0);

// The PKCS#8 PEM behind TestKey(alg, slot).
const std::string& TestKeyPem(Algorithm alg, int slot = 0);

// PEM encodings of keys this library must refuse or must also accept,
// generated with the OpenSSL API.
std::string RsaPem(int bits, bool traditional);      // "RSA PRIVATE KEY" if traditional.
std::string EcPem(const char* curve, bool traditional);  // "EC PRIVATE KEY" if traditional.
std::string PublicKeyPem(absl::string_view private_pem);  // Its "PUBLIC KEY" (SPKI).
std::string EncryptedPem(Algorithm alg);              // "ENCRYPTED PRIVATE KEY".
std::string Ed448Pem();

// A fresh, empty directory for this test process.
const std::string& ScratchDir();

// Writes `contents` to ScratchDir()/name and returns the path.
std::string WriteFile(absl::string_view name, absl::string_view contents);

// Returns BASE64URL(header_json).BASE64URL(payload_json).BASE64URL(sig),
// signing with `key` regardless of what the header says.
std::string SignCompact(const SigningKey& key, absl::string_view header_json,
                        absl::string_view payload_json);

// The ES256 compact JWS `compact` with its signature's S replaced by n - S
// (n: the P-256 group order): the other signature ECDSA accepts for the same
// key and message. Fails the test and returns "" if `compact` does not end in
// a 64-byte R||S signature.
std::string EcdsaHighSTwin(absl::string_view compact);

// True if the S half of the ES256 compact JWS `compact` is at most n/2.
bool EcdsaHasLowS(absl::string_view compact);

// Parses a key name ("RS256", "ES256", "EdDSA") into an Algorithm or dies.
Algorithm Alg(absl::string_view name);

}  // namespace oauthd::jose::testing

#endif  // OAUTHD_TESTS_JOSE_TEST_KEYS_H_
