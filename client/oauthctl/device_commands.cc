// oauthctl login --device: the device authorization grant (RFC 8628) from a
// terminal, as `gh auth login` does it.

#include <algorithm>
#include <cstdio>
#include <string>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/oauthctl/cli.h"
#include "client/oauthctl/output.h"
#include "google/rpc/status.pb.h"
#include "oauth/v1/device.grpc.pb.h"
#include "oauth/v1/error.pb.h"
#include "oauth/v1/token.grpc.pb.h"

ABSL_DECLARE_FLAG(std::string, client_id);
ABSL_DECLARE_FLAG(std::string, client_secret);
ABSL_DECLARE_FLAG(std::string, scope);
ABSL_DECLARE_FLAG(std::string, resource);

ABSL_FLAG(bool, device, false,
          "login: use the device authorization grant (RFC 8628): print a code and a URL "
          "to open in any browser, then wait for the approval");

namespace oauthctl {
namespace {

// The OAuth error code of a failed call, "" when it carries none.
std::string OAuthErrorCode(const grpc::Status& status) {
  google::rpc::Status rich;
  oauth::v1::OAuthError error;
  if (status.error_details().empty() || !rich.ParseFromString(status.error_details()) ||
      rich.details_size() == 0 || !rich.details(0).UnpackTo(&error)) {
    return "";
  }
  return error.error();
}

oauth::v1::ClientAuthentication ClientAuth() {
  oauth::v1::ClientAuthentication auth;
  auth.set_client_id(absl::GetFlag(FLAGS_client_id));
  auth.set_client_secret(absl::GetFlag(FLAGS_client_secret));
  return auth;
}

}  // namespace

int RunLoginCommand(const Args&) {
  if (!absl::GetFlag(FLAGS_device)) {
    return UsageError("login supports only the device flow: oauthctl login --device");
  }
  if (absl::GetFlag(FLAGS_client_id).empty()) return UsageError("login needs --client_id");
  auto device_stub = oauth::v1::DeviceService::NewStub(Channel());
  auto token_stub = oauth::v1::TokenService::NewStub(Channel());

  oauth::v1::DeviceAuthorizeRequest start;
  *start.mutable_client() = ClientAuth();
  start.set_scope(absl::GetFlag(FLAGS_scope));
  for (auto& r : SplitList(absl::GetFlag(FLAGS_resource))) start.add_resource(r);
  oauth::v1::DeviceAuthorizeResponse device;
  {
    auto ctx = NewContext(false);
    grpc::Status status = device_stub->DeviceAuthorize(ctx.get(), start, &device);
    if (!status.ok()) return ReportError(status);
  }
  // The instructions go to stderr so that stdout holds only the token.
  std::fprintf(stderr,
               "To sign in, open %s\nand enter the code: %s\n(or open %s)\n"
               "Waiting for approval (the code expires in %lld s)...\n",
               device.verification_uri().c_str(), device.user_code().c_str(),
               device.verification_uri_complete().c_str(),
               static_cast<long long>(device.expires_in()));
  std::fflush(stderr);

  oauth::v1::IssueTokenRequest poll;
  *poll.mutable_client() = ClientAuth();
  poll.mutable_device_code()->set_device_code(device.device_code());
  absl::Duration interval = absl::Seconds(device.interval() > 0 ? device.interval() : 5);
  const absl::Time deadline = absl::Now() + absl::Seconds(device.expires_in());
  for (;;) {
    // RFC 8628 §3.5: wait the interval before every request.
    absl::SleepFor(interval);
    oauth::v1::TokenResponse token;
    auto ctx = NewContext(false);
    grpc::Status status = token_stub->IssueToken(ctx.get(), poll, &token);
    if (status.ok()) {
      if (JsonOutput()) {
        PrintJson(token);
      } else {
        PrintToken(token);
      }
      return kExitOk;
    }
    const std::string error = OAuthErrorCode(status);
    const bool unreachable = status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                             status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
    if (error == "slow_down") {
      interval += absl::Seconds(5);
    } else if (unreachable && absl::Now() < deadline) {
      // §3.5: back off while the server cannot be reached.
      interval = std::min(interval * 2, absl::Seconds(60));
    } else if (error != "authorization_pending") {
      return ReportError(status);
    }
    if (absl::Now() + interval > deadline + absl::Seconds(1)) {
      std::fprintf(stderr, "oauthctl: expired_token: the code expired before it was approved\n");
      return kExitRpcError;
    }
  }
}

}  // namespace oauthctl
