#ifndef OAUTHD_CLIENT_LIB_CHANNEL_H_
#define OAUTHD_CLIENT_LIB_CHANNEL_H_

// Channels to oauthd with the transport security its listeners ask for:
// plaintext (loopback, unix socket), TLS, or mutual TLS with a client
// certificate (oauthd --tls_client_ca).
//
//   oauthd::client::ChannelOptions options;
//   options.tls = true;
//   options.ca_file = "/etc/oauthd-tls/ca.crt";
//   options.cert_file = "/etc/oauthd-tls/tls.crt";   // mTLS
//   options.key_file = "/etc/oauthd-tls/tls.key";
//   auto channel = oauthd::client::NewOauthdChannel("oauthd:50051", options);

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace oauthd::client {

struct ChannelOptions {
  bool tls = false;
  // PEM CA certificates that sign oauthd's certificate; empty: the system's.
  std::string ca_file;
  // PEM client certificate chain and key for mTLS; both or neither.
  std::string cert_file;
  std::string key_file;
  // Expect this name in oauthd's certificate instead of the address's host.
  std::string server_name;
  // How often the files above are checked for a new version (cert-manager
  // rotates them in place); whole seconds, at least 1 s.
  absl::Duration reload_interval = absl::Minutes(1);
};

// A channel to `address` (host:port or unix:/path). The files are read now
// so that a mistake is reported here (INVALID_ARGUMENT naming the file)
// rather than as failing handshakes, and re-read every `reload_interval`.
// INVALID_ARGUMENT also for TLS-only options without `tls`, or a
// certificate without its key. Thread-safe (no shared state).
absl::StatusOr<std::shared_ptr<grpc::Channel>> NewOauthdChannel(
    const std::string& address, const ChannelOptions& options,
    grpc::ChannelArguments args = grpc::ChannelArguments());

// True for unix sockets and loopback hosts (127.0.0.0/8, ::1, localhost):
// addresses other machines cannot reach.
bool IsLocalAddress(const std::string& address);

}  // namespace oauthd::client

#endif  // OAUTHD_CLIENT_LIB_CHANNEL_H_
