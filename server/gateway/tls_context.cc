#include "server/gateway/tls_context.h"

#include <openssl/ssl.h>

#include <boost/system/system_error.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace oauthd::gateway {

namespace ssl = boost::asio::ssl;

absl::StatusOr<std::shared_ptr<ssl::context>> MakeServerTlsContext(const std::string& cert_file,
                                                                   const std::string& key_file) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, kTls12CipherSuites) != 1) {
    return absl::InternalError("OpenSSL refused the gateway's TLS protocol or cipher settings");
  }
  SSL_CTX_set_options(
      native, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  try {
    context->use_certificate_chain_file(cert_file);
  } catch (const boost::system::system_error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot load --tls_cert ", cert_file, ": ", e.what()));
  }
  try {
    context->use_private_key_file(key_file, ssl::context::pem);
  } catch (const boost::system::system_error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot load --tls_key ", key_file, ": ", e.what()));
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls_key ", key_file, " is not the key of --tls_cert ", cert_file));
  }
  return context;
}

}  // namespace oauthd::gateway
