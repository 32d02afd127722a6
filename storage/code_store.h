#ifndef OAUTHD_STORAGE_CODE_STORE_H_
#define OAUTHD_STORAGE_CODE_STORE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace oauthd::storage {

// What an authorization code stands for (RFC 6749 §4.1.2), bound at Authorize.
struct AuthorizationCode {
  std::string client_id;
  // The redirect_uri used; `redirect_uri_in_request` tells whether the
  // authorization request named it (then the token request must repeat it).
  std::string redirect_uri;
  bool redirect_uri_in_request = false;
  std::string scope;     // space-delimited, already validated
  std::string subject;   // resource owner's `sub`
  std::string username;
  std::vector<std::string> audiences;
  // PKCE (RFC 7636): the challenge as sent and its method ("S256", "plain");
  // both empty when the request had no PKCE.
  std::string code_challenge;
  std::string code_challenge_method;
  int64_t auth_time = 0;  // unix seconds
  // The grant the code stands for (refresh_token_store.h): its id, chosen at
  // Authorize, and when the owner approved it (unix milliseconds).
  std::string grant_id;
  int64_t granted_at_ms = 0;
};

// What a token request presents to redeem a code.
struct CodeRedemption {
  std::string client_id;
  std::string redirect_uri;  // as sent in the token request ("" if absent)
  // PKCE verifier as sent ("" if absent) and its S256 transform
  // BASE64URL(SHA256(verifier)); the store compares the one the stored method
  // asks for.
  std::string code_verifier;
  std::string code_verifier_s256;
};

// Outcome of a redemption attempt. Only kRedeemed changes state.
struct RedeemResult {
  enum class Outcome {
    kRedeemed,          // `code` holds the grant; the code is now spent
    kNotFound,          // unknown or expired code
    kAlreadyRedeemed,   // spent before: `code.grant_id` is the grant to revoke
    kClientMismatch,    // issued to another client
    kRedirectMismatch,  // redirect_uri differs from the authorization request
    kVerifierMismatch,  // PKCE verifier missing, unexpected or wrong
  };
  Outcome outcome = Outcome::kNotFound;
  AuthorizationCode code;
};

// One-time authorization codes, keyed by SHA-256 of the code (hex).
class CodeStore {
 public:
  virtual ~CodeStore() = default;

  // Stores a code for `ttl`. ALREADY_EXISTS on a hash collision.
  virtual absl::Status Save(absl::string_view code_hash,
                            const AuthorizationCode& code, absl::Duration ttl) = 0;
  // Atomically checks the binding (client, redirect_uri, PKCE) and spends the
  // code. Of any number of concurrent calls for one code at most one gets
  // kRedeemed. A spent code stays known (as spent) until its TTL ends.
  virtual absl::StatusOr<RedeemResult> Redeem(absl::string_view code_hash,
                                              const CodeRedemption& request) = 0;
};

}  // namespace oauthd::storage

#endif  // OAUTHD_STORAGE_CODE_STORE_H_
