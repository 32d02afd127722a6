#ifndef OAUTHD_SERVER_CORE_CLIENT_ASSERTION_H_
#define OAUTHD_SERVER_CORE_CLIENT_ASSERTION_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/core/clock.h"
#include "storage/records.pb.h"
#include "storage/replay_store.h"

namespace oauthd {

// RFC 7523 §2.2 client_assertion_type of private_key_jwt.
inline constexpr absl::string_view kJwtBearerAssertionType =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
inline constexpr absl::string_view kPrivateKeyJwt = "private_key_jwt";

// How far ahead an assertion's "exp" may be: assertions are one-time values
// made for one request, and their jti is remembered until exp.
inline constexpr absl::Duration kMaxClientAssertionLifetime = absl::Minutes(5);
// Clock skew allowed on exp, nbf and iat.
inline constexpr absl::Duration kClientAssertionLeeway = absl::Seconds(30);
// Longest "jti" accepted (it becomes part of a storage key).
inline constexpr size_t kMaxClientAssertionJtiLength = 256;

// Verifies private_key_jwt client assertions (RFC 7523 §3, RFC 7521 §4.2)
// against a client's registered public keys (Client.jwks). Thread-safe.
class ClientAssertionVerifier {
 public:
  // `issuer` is the authorization server's issuer identifier; `replays`
  // remembers used jti values (shared by every oauthd of the deployment).
  ClientAssertionVerifier(std::string issuer, storage::ReplayStore& replays, Clock clock);

  // The client an assertion names: its "sub" (RFC 7523 §3 item 2), read
  // WITHOUT checking the signature, only to find the client whose keys will
  // check it. invalid_client when it is not a JWS with a string "sub".
  static absl::StatusOr<std::string> UnverifiedSubject(absl::string_view assertion);

  // Checks `assertion` for the client `record` presented at the endpoint
  // `endpoint_path` ("/token", "/introspect", "/revoke", ...), in this order:
  //  - the JWS: compact form, "alg" the algorithm of the client's key (ES256
  //    for P-256, RS256 for RSA, EdDSA for Ed25519; no "none", no HMAC),
  //    "kid" naming one of the client's keys (may be absent when the client
  //    has exactly one), a valid signature (ECDSA: low S);
  //  - "iss" and "sub" both equal to the client id;
  //  - "aud" contains the issuer, the token endpoint URL (<issuer>/token) or
  //    the URL of the endpoint in use (<issuer><endpoint_path>);
  //  - "exp" present, not past (leeway kClientAssertionLeeway) and at most
  //    kMaxClientAssertionLifetime (+ leeway) ahead; "nbf" and "iat", when
  //    present, not in the future (leeway);
  //  - "jti" present, at most kMaxClientAssertionJtiLength bytes, and never
  //    seen for this client before; it is then remembered until exp.
  // Every failure is invalid_client (RFC 7521 §4.2.1) with a one-line
  // description; UNAVAILABLE when the replay store cannot be reached. A
  // failed check does not use up the jti.
  absl::Status Verify(const storage::ClientRecord& record, absl::string_view assertion,
                      absl::string_view endpoint_path) const;

 private:
  const std::string issuer_;
  storage::ReplayStore& replays_;
  const Clock clock_;
};

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_CLIENT_ASSERTION_H_
