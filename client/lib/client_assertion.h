#ifndef OAUTHD_CLIENT_LIB_CLIENT_ASSERTION_H_
#define OAUTHD_CLIENT_LIB_CLIENT_ASSERTION_H_

// private_key_jwt client authentication (RFC 7523 §2.2, §3): a short-lived
// JWT signed with the client's private key, presented instead of a secret.
// TokenSource uses it (TokenSourceOptions::private_key_file); so does
// `oauthctl token --private_key_file`. Its implementation keeps the JOSE
// library private.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace oauthd::client {

// RFC 7523 §2.2 client_assertion_type.
inline constexpr absl::string_view kJwtBearerClientAssertionType =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

// Makes client assertions for one client with one private key.
// Thread-safe (immutable).
class ClientAssertionSigner {
 public:
  // Loads the PEM private key at `key_file` (ES256 P-256, RS256 RSA >= 2048
  // bits or EdDSA Ed25519, as made by `oauthctl keys generate`). Returns
  // InvalidArgument naming the file when it cannot be read or used, or when
  // `client_id` or `audience` is empty. `audience` is the authorization
  // server's issuer identifier.
  static absl::StatusOr<std::shared_ptr<const ClientAssertionSigner>> FromPemFile(
      absl::string_view key_file, std::string client_id, std::string audience);

  // A new assertion: header {"alg","typ":"JWT","kid"} (kid: the key's RFC
  // 7638 thumbprint), claims iss = sub = client id, aud = the audience,
  // iat = `now`, exp = `now` + `lifetime` (whole seconds), and a random
  // 128-bit jti, so each one is accepted once. Internal on a signing failure.
  absl::StatusOr<std::string> Make(absl::Time now,
                                   absl::Duration lifetime = absl::Seconds(60)) const;

  ~ClientAssertionSigner();

 private:
  struct Key;
  ClientAssertionSigner(std::unique_ptr<const Key> key, std::string client_id,
                        std::string audience);

  const std::unique_ptr<const Key> key_;
  const std::string client_id_;
  const std::string audience_;
};

}  // namespace oauthd::client

#endif  // OAUTHD_CLIENT_LIB_CLIENT_ASSERTION_H_
