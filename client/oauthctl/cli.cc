#include "client/oauthctl/cli.h"

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "client/lib/channel.h"
#include "client/oauthctl/json_output.h"
#include "server/common/secret_strength.h"
#include "google/rpc/status.pb.h"
#include "oauth/v1/error.pb.h"

ABSL_FLAG(std::string, address, "127.0.0.1:50051", "oauthd address: host:port or unix:/path");
ABSL_FLAG(std::string, admin_address, "127.0.0.1:50052",
          "oauthd's admin API address (its --admin_listen): host:port or unix:/path; "
          "plaintext when loopback or unix, else with the --tls settings");
ABSL_FLAG(std::string, admin_token_file, "", "File with the admin API bearer token");
ABSL_FLAG(bool, json, false, "Print results as JSON (one line) instead of text");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(10), "Deadline of each call");
ABSL_FLAG(bool, tls, false, "Connect with TLS (system roots unless --tls_ca_file)");
ABSL_FLAG(std::string, tls_ca_file, "", "PEM file of CA certificates to trust for TLS");
ABSL_FLAG(std::string, tls_server_name, "",
          "TLS: expect this name in the server certificate instead of the address's host");
ABSL_FLAG(std::string, tls_cert_file, "",
          "TLS: PEM client certificate chain to present (mTLS, with --tls_key_file)");
ABSL_FLAG(std::string, tls_key_file, "", "TLS: PEM private key of --tls_cert_file");

namespace oauthctl {
namespace {

std::string ReadFileOrDie(const std::string& path, const char* what) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "oauthctl: cannot read %s %s\n", what, path.c_str());
    std::exit(kExitUsage);
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

namespace {

std::shared_ptr<grpc::Channel> NewChannel(const std::string& address, bool tls) {
  oauthd::client::ChannelOptions options;
  options.tls = tls;
  options.ca_file = absl::GetFlag(FLAGS_tls_ca_file);
  options.cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  options.key_file = absl::GetFlag(FLAGS_tls_key_file);
  options.server_name = absl::GetFlag(FLAGS_tls_server_name);
  if (!absl::GetFlag(FLAGS_tls) && (!options.ca_file.empty() || !options.cert_file.empty() ||
                                    !options.key_file.empty() || !options.server_name.empty())) {
    std::fprintf(stderr,
                 "oauthctl: --tls_ca_file, --tls_server_name, --tls_cert_file and "
                 "--tls_key_file need --tls\n");
    std::exit(kExitUsage);
  }
  if (!tls) options = oauthd::client::ChannelOptions();  // a local admin address
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      oauthd::client::NewOauthdChannel(address, options);
  if (!channel.ok()) {
    std::fprintf(stderr, "oauthctl: %s\n", std::string(channel.status().message()).c_str());
    std::exit(kExitUsage);
  }
  return *std::move(channel);
}

}  // namespace

std::shared_ptr<grpc::Channel> Channel() {
  static std::shared_ptr<grpc::Channel> channel =
      NewChannel(absl::GetFlag(FLAGS_address), absl::GetFlag(FLAGS_tls));
  return channel;
}

std::shared_ptr<grpc::Channel> AdminChannel() {
  static std::shared_ptr<grpc::Channel> channel = [] {
    const std::string address = absl::GetFlag(FLAGS_admin_address);
    return NewChannel(address, absl::GetFlag(FLAGS_tls) &&
                                    !oauthd::client::IsLocalAddress(address));
  }();
  return channel;
}

std::unique_ptr<grpc::ClientContext> NewContext(bool admin) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + absl::GetFlag(FLAGS_timeout)));
  if (admin) {
    const std::string path = absl::GetFlag(FLAGS_admin_token_file);
    if (path.empty()) {
      std::fprintf(stderr,
                   "oauthctl: admin commands need --admin_token_file (or "
                   "OAUTHCTL_ADMIN_TOKEN_FILE)\n");
      std::exit(kExitUsage);
    }
    std::string token(absl::StripAsciiWhitespace(ReadFileOrDie(path, "--admin_token_file")));
    if (!oauthd::IsPrintableAscii(token)) {
      // gRPC would abort the process on it, logging the token's bytes.
      std::fprintf(stderr,
                   "oauthctl: the admin token in %s has a byte that is not printable ASCII, "
                   "so it cannot be sent (oauthd refuses to start with such a token)\n",
                   path.c_str());
      std::exit(kExitUsage);
    }
    ctx->AddMetadata("authorization", "Bearer " + token);
  }
  return ctx;
}

bool JsonOutput() { return absl::GetFlag(FLAGS_json); }

void PrintJson(const google::protobuf::Message& message) {
  std::printf("%s\n", MessageToJson(message).c_str());
}

int ReportError(const grpc::Status& status) {
  google::rpc::Status rich;
  oauth::v1::OAuthError error;
  const bool typed = !status.error_details().empty() &&
                     rich.ParseFromString(status.error_details()) &&
                     rich.details_size() > 0 && rich.details(0).UnpackTo(&error);
  if (JsonOutput() && typed) {
    std::fprintf(stderr, "%s\n", MessageToJson(error).c_str());
  } else if (typed) {
    std::fprintf(stderr, "oauthctl: %s: %s\n", error.error().c_str(),
                 error.error_description().c_str());
  } else {
    std::fprintf(stderr, "oauthctl: %s (gRPC code %d)\n", status.error_message().c_str(),
                 static_cast<int>(status.error_code()));
  }
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
      status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return kExitUnavailable;
  }
  return kExitRpcError;
}

int UsageError(const std::string& message) {
  std::fprintf(stderr, "oauthctl: %s (see oauthctl help)\n", message.c_str());
  return kExitUsage;
}

std::vector<std::string> SplitList(const std::string& value) {
  std::vector<std::string> items;
  for (absl::string_view item : absl::StrSplit(value, ',')) {
    item = absl::StripAsciiWhitespace(item);
    if (!item.empty()) items.emplace_back(item);
  }
  return items;
}

std::vector<std::string> SplitScopes(const std::string& value) {
  return absl::StrSplit(value, absl::ByAnyChar(", \t\n"), absl::SkipEmpty());
}

std::string ValueOrPrompt(const std::string& value, const std::string& prompt) {
  if (!value.empty() || !isatty(STDIN_FILENO)) return value;
  std::fprintf(stderr, "%s", prompt.c_str());
  termios saved;
  const bool terminal = tcgetattr(STDIN_FILENO, &saved) == 0;
  if (terminal) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (terminal) tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
  std::fprintf(stderr, "\n");
  return line;
}

}  // namespace oauthctl
