#include "client/lib/channel.h"

#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace oauthd::client {
namespace {

absl::Status CheckReadable(const std::string& path, const char* what) {
  std::ifstream in(path);
  std::string first_line;
  if (!in || !std::getline(in, first_line)) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read ", what, " ", path));
  }
  if (!absl::StrContains(first_line, "-----BEGIN ")) {
    return absl::InvalidArgumentError(absl::StrCat(what, " ", path, " is not a PEM file"));
  }
  return absl::OkStatus();
}

}  // namespace

bool IsLocalAddress(const std::string& address) {
  if (absl::StartsWith(address, "unix:") || absl::StartsWith(address, "unix-abstract:")) {
    return true;
  }
  std::string host = address.substr(0, address.rfind(':'));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> NewOauthdChannel(const std::string& address,
                                                                const ChannelOptions& options,
                                                                grpc::ChannelArguments args) {
  const bool has_cert = !options.cert_file.empty(), has_key = !options.key_file.empty();
  if (!options.tls) {
    if (!options.ca_file.empty() || has_cert || has_key || !options.server_name.empty()) {
      return absl::InvalidArgumentError(
          "a CA file, client certificate or server name needs TLS turned on");
    }
    return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  }
  if (has_cert != has_key) {
    return absl::InvalidArgumentError("a client certificate and its key go together");
  }
  if (!options.ca_file.empty()) {
    if (absl::Status s = CheckReadable(options.ca_file, "CA file"); !s.ok()) return s;
  }
  if (has_cert) {
    if (absl::Status s = CheckReadable(options.cert_file, "client certificate"); !s.ok()) return s;
    if (absl::Status s = CheckReadable(options.key_file, "client key"); !s.ok()) return s;
  }
  const unsigned int interval = static_cast<unsigned int>(
      std::max<int64_t>(1, absl::ToInt64Seconds(options.reload_interval)));
  grpc::experimental::TlsChannelCredentialsOptions tls;
  if (!options.ca_file.empty() || has_cert) {
    // gRPC's file watcher re-reads the files, so rotated certificates are
    // picked up without a new channel.
    tls.set_certificate_provider(
        std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
            options.key_file, options.cert_file, options.ca_file, interval));
    if (!options.ca_file.empty()) tls.watch_root_certs();
    if (has_cert) tls.watch_identity_key_cert_pairs();
  }
  if (!options.server_name.empty()) args.SetSslTargetNameOverride(options.server_name);
  return grpc::CreateCustomChannel(address, grpc::experimental::TlsCredentials(tls), args);
}

}  // namespace oauthd::client
