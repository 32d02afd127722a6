#ifndef OAUTHD_SERVER_GRPC_TLS_CREDENTIALS_H_
#define OAUTHD_SERVER_GRPC_TLS_CREDENTIALS_H_

// Server credentials for oauthd's gRPC listeners: TLS with certificate files
// that are re-read when they change (cert-manager and Kubernetes update a
// mounted Secret in place), and optionally mutual TLS.

#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace oauthd::grpc_api {

struct TlsServerFiles {
  std::string cert_chain;  // PEM: the server certificate, then intermediates
  std::string private_key; // PEM: its private key
  // PEM CA certificates; when set, every client must present a certificate
  // that chains to one of them (mTLS), else the handshake fails.
  std::string client_ca;
  // How often the files are checked for a new version (gRPC's file
  // watcher; whole seconds, at least 1 s).
  absl::Duration reload_interval = absl::Minutes(1);
};

// Checks the files now (readable PEM, the key belongs to the certificate,
// the CA file holds at least one certificate) so a mistake stops the start
// with a clear message instead of failing every handshake later; then
// returns credentials that keep re-reading them. INVALID_ARGUMENT names the
// file and the problem. Caution: with gRPC 1.51, a later version that does
// not parse, or a certificate that does not match the key, is not skipped —
// new handshakes fail until a good pair is back. Replace certificate and key
// together (a Secret update or a symlink swap does; docs/operations.md).
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> TlsServerCredentialsFrom(
    const TlsServerFiles& files);

}  // namespace oauthd::grpc_api

#endif  // OAUTHD_SERVER_GRPC_TLS_CREDENTIALS_H_
