#include "server/jose/signing_key.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/core/status_macros.h"
#include "server/jose/internal/jwk_conversion.h"
#include "server/jose/internal/openssl_util.h"
#include "server/jose/internal/pkey_operations.h"

namespace oauthd::jose {
namespace {

// Key files are a few kilobytes; anything much larger is not a key file.
constexpr size_t kMaxPemFileSize = 1 << 20;

// Never let OpenSSL prompt on the terminal for a passphrase.
int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) { return -1; }

// Builds the one-line error for a key that cannot be used.
absl::Status KeyError(absl::StatusCode code, absl::string_view source, absl::string_view reason,
                      absl::string_view out_file) {
  return absl::Status(
      code, absl::StrCat("signing key ", source, ": ", reason,
                         "; create one with: oauthctl keys generate --alg ES256 --out ", out_file));
}

// Describes why `pem` did not yield a private key.
std::string DiagnoseNonPrivateKey(absl::string_view pem) {
  if (!absl::StrContains(pem, "-----BEGIN ")) {
    return "not a PEM file (expected -----BEGIN PRIVATE KEY-----)";
  }
  if (absl::StrContains(pem, "ENCRYPTED")) {
    return "the private key is encrypted; oauthd needs an unencrypted key (protect the file "
           "itself, e.g. as a Kubernetes Secret)";
  }
  internal::BioPtr bio = internal::MemoryBio(pem);
  internal::PkeyPtr public_key(
      bio == nullptr ? nullptr : PEM_read_bio_PUBKEY(bio.get(), nullptr, NoPassphrase, nullptr));
  ERR_clear_error();
  if (public_key != nullptr || absl::StrContains(pem, "PUBLIC KEY-----")) {
    return "contains a public key, not a private key";
  }
  if (absl::StrContains(pem, "-----BEGIN CERTIFICATE-----")) {
    return "contains a certificate, not a private key";
  }
  return "no usable PEM private key found (damaged or unsupported PEM)";
}

}  // namespace

SigningKey::SigningKey(std::shared_ptr<const internal::PkeyOperations> operations,
                       Algorithm alg, Jwk public_jwk)
    : operations_(std::move(operations)), alg_(alg), public_jwk_(std::move(public_jwk)) {}

absl::StatusOr<SigningKey> SigningKey::FromPemFile(absl::string_view path) {
  const std::string path_string(path);
  std::FILE* file = std::fopen(path_string.c_str(), "rb");
  if (file == nullptr) {
    const int error = errno;
    const absl::StatusCode code = error == ENOENT   ? absl::StatusCode::kNotFound
                                  : error == EACCES ? absl::StatusCode::kPermissionDenied
                                                    : absl::StatusCode::kInvalidArgument;
    return KeyError(code, path, absl::StrCat("cannot open: ", std::strerror(error)), path);
  }
  std::string pem;
  char buffer[4096];
  bool too_large = false;
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) {
    pem.append(buffer, n);
    if (pem.size() > kMaxPemFileSize) {
      too_large = true;
      break;
    }
  }
  const bool read_error = std::ferror(file) != 0;
  const int error = errno;
  std::fclose(file);
  OPENSSL_cleanse(buffer, sizeof(buffer));

  absl::StatusOr<SigningKey> key;
  if (read_error) {
    key = KeyError(absl::StatusCode::kInvalidArgument, path,
                   absl::StrCat("cannot read: ", std::strerror(error)), path);
  } else if (too_large) {
    key = KeyError(absl::StatusCode::kInvalidArgument, path,
                   absl::StrCat("file is larger than ", kMaxPemFileSize,
                                " bytes, not a PEM key"),
                   path);
  } else if (pem.empty()) {
    key = KeyError(absl::StatusCode::kInvalidArgument, path, "file is empty", path);
  } else {
    key = LoadPem(pem, path, path);
  }
  OPENSSL_cleanse(pem.data(), pem.size());
  return key;
}

absl::StatusOr<SigningKey> SigningKey::FromPem(absl::string_view pem, absl::string_view source) {
  return LoadPem(pem, source, "<file>");
}

absl::StatusOr<std::string> SigningKey::Sign(absl::string_view signing_input) const {
  std::string signature;
  RETURN_IF_ERROR(operations_->Sign(signing_input, &signature));
  return signature;
}

absl::Status SigningKey::SignTo(absl::string_view signing_input, std::string* signature) const {
  return operations_->Sign(signing_input, signature);
}

absl::StatusOr<SigningKey> SigningKey::LoadPem(absl::string_view pem, absl::string_view source,
                                               absl::string_view out_file) {
  if (pem.size() > kMaxPemFileSize) {
    return KeyError(absl::StatusCode::kInvalidArgument, source, "PEM input is too large",
                    out_file);
  }
  internal::BioPtr bio = internal::MemoryBio(pem);
  if (bio == nullptr) return absl::ResourceExhaustedError("cannot allocate a memory BIO");
  internal::PkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  ERR_clear_error();
  if (pkey == nullptr) {
    return KeyError(absl::StatusCode::kInvalidArgument, source, DiagnoseNonPrivateKey(pem),
                    out_file);
  }
  absl::StatusOr<Algorithm> alg = internal::AlgorithmForKey(pkey.get());
  if (!alg.ok()) {
    return KeyError(absl::StatusCode::kInvalidArgument, source, alg.status().message(),
                    out_file);
  }
  absl::StatusOr<Jwk> jwk = internal::PublicJwkFromKey(pkey.get(), *alg);
  if (!jwk.ok()) {
    return KeyError(jwk.status().code(), source, jwk.status().message(), out_file);
  }
  auto operations = std::make_shared<const internal::PkeyOperations>(std::move(pkey), *alg);
  // Self-test: a damaged key (say, inconsistent RSA CRT values) is refused
  // at load time rather than producing bad signatures later.
  static constexpr absl::string_view kProbe = "oauthd signing key self-test";
  std::string signature;
  const absl::Status signed_probe = operations->Sign(kProbe, &signature);
  if (!signed_probe.ok() || !operations->Verify(kProbe, signature)) {
    return KeyError(absl::StatusCode::kInvalidArgument, source,
                    "private key failed its sign/verify self-test (damaged key)", out_file);
  }
  return SigningKey(std::move(operations), *alg, *std::move(jwk));
}

}  // namespace oauthd::jose
