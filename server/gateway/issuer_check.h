#ifndef OAUTHD_SERVER_GATEWAY_ISSUER_CHECK_H_
#define OAUTHD_SERVER_GATEWAY_ISSUER_CHECK_H_

// The gateway's --issuer must be oauthd's --issuer: oauthd puts its issuer in
// every token (iss) and in the metadata, the gateway builds the endpoint URLs
// from its own. When they differ, clients fail discovery (RFC 8414 §3.3) or
// the iss check (RFC 9068 §4), so the gateway refuses to serve instead.

#include <grpcpp/channel.h>

#include <atomic>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace oauthd::gateway {

// What the gateway last learnt of oauthd's issuer. Thread-safe.
class IssuerAgreement {
 public:
  // `gateway_issuer`: the gateway's --issuer as given.
  explicit IssuerAgreement(std::string gateway_issuer)
      : gateway_issuer_(std::move(gateway_issuer)) {}

  // Records the issuer oauthd reported (GetServerMetadata). Returns "" when
  // it equals the gateway's exactly (RFC 8414 §3.3: identical), else the
  // reason in one line, e.g. "--issuer=https://a differs from oauthd's issuer
  // https://b". An empty `oauthd_issuer` (a stand-in server that does not
  // report one) changes nothing and returns "".
  std::string Observe(absl::string_view oauthd_issuer);

  // "" unless the last issuer observed differed; then the reason.
  std::string Mismatch() const;

 private:
  const std::string gateway_issuer_;
  std::atomic<bool> mismatched_{false};  // the fast path of Mismatch()
  mutable absl::Mutex mu_;
  std::string reason_ ABSL_GUARDED_BY(mu_);
};

// Asks oauthd for its issuer (oauth.v1.TokenService/GetServerMetadata) over
// `channel`, failing fast when oauthd cannot be reached; `timeout` bounds the
// call. Returns the issuer, or the call's error (UNAVAILABLE,
// DEADLINE_EXCEEDED, ...). Blocking; thread-safe.
absl::StatusOr<std::string> FetchOauthdIssuer(const std::shared_ptr<grpc::Channel>& channel,
                                              absl::Duration timeout);

}  // namespace oauthd::gateway

#endif  // OAUTHD_SERVER_GATEWAY_ISSUER_CHECK_H_
