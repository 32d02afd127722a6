#include "server/gateway/issuer_check.h"

#include "absl/strings/str_cat.h"
#include "oauth/v1/token.grpc.pb.h"

namespace oauthd::gateway {

std::string IssuerAgreement::Observe(absl::string_view oauthd_issuer) {
  // oauthd always has an issuer; an empty one is a stand-in server that
  // does not say (the gateway's tests use one): nothing to compare.
  if (oauthd_issuer.empty()) return "";
  std::string reason;
  if (oauthd_issuer != gateway_issuer_) {
    reason = absl::StrCat("--issuer=", gateway_issuer_, " differs from oauthd's issuer ",
                          oauthd_issuer,
                          "; both must be the same public URL of the gateway");
  }
  absl::MutexLock lock(&mu_);
  reason_ = reason;
  mismatched_.store(!reason.empty(), std::memory_order_release);
  return reason;
}

std::string IssuerAgreement::Mismatch() const {
  if (!mismatched_.load(std::memory_order_acquire)) return "";
  absl::MutexLock lock(&mu_);
  return reason_;
}

absl::StatusOr<std::string> FetchOauthdIssuer(const std::shared_ptr<grpc::Channel>& channel,
                                              absl::Duration timeout) {
  auto stub = oauth::v1::TokenService::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  oauth::v1::ServerMetadata metadata;
  const grpc::Status status =
      stub->GetServerMetadata(&context, oauth::v1::GetServerMetadataRequest(), &metadata);
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        status.error_message());
  }
  return metadata.issuer();
}

}  // namespace oauthd::gateway
