#ifndef OAUTHD_SERVER_GATEWAY_TLS_CONTEXT_H_
#define OAUTHD_SERVER_GATEWAY_TLS_CONTEXT_H_

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace oauthd::gateway {

// The TLS 1.2 cipher suites the gateway offers, most preferred first: ECDHE
// key exchange (forward secrecy) with an AEAD cipher (AES-GCM or
// ChaCha20-Poly1305) only, for ECDSA and RSA certificates. No RSA key
// exchange, no CBC, no SHA-1 MAC, no DHE (finite-field parameters of unknown
// size). TLS 1.3 keeps OpenSSL's default suites, all of which are AEAD with
// forward secrecy.
inline constexpr char kTls12CipherSuites[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// A server TLS context for the gateway's HTTPS listener with the policy of
// docs/operations.md ("Gateway hardening"): TLS 1.2 and 1.3 only,
// kTls12CipherSuites for TLS 1.2 in the server's order of preference
// (SSL_OP_CIPHER_SERVER_PREFERENCE), no renegotiation, no compression.
//
// `cert_file` is a PEM certificate chain (leaf first), `key_file` its PEM
// private key. INVALID_ARGUMENT naming the file when one cannot be read or
// parsed, or when the key does not belong to the certificate.
absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> MakeServerTlsContext(
    const std::string& cert_file, const std::string& key_file);

}  // namespace oauthd::gateway

#endif  // OAUTHD_SERVER_GATEWAY_TLS_CONTEXT_H_
