#ifndef OAUTHD_CLIENT_OAUTHCTL_CLI_H_
#define OAUTHD_CLIENT_OAUTHCTL_CLI_H_

// Shared plumbing of the oauthctl subcommands: the channel, metadata,
// printing, and exit codes.

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "google/protobuf/message.h"

namespace oauthctl {

// Exit codes (documented in `oauthctl --help` and the README).
inline constexpr int kExitOk = 0;
inline constexpr int kExitRpcError = 1;     // the server refused (OAuth/admin error)
inline constexpr int kExitUsage = 2;        // bad command line
inline constexpr int kExitUnavailable = 3;  // server unreachable or timed out

// The positional words after the program name, e.g. {"client", "create"}.
using Args = std::vector<std::string>;

// The channel to oauthd's public gRPC port (--address).
std::shared_ptr<grpc::Channel> Channel();
// The channel to oauthd's admin listener (--admin_address).
std::shared_ptr<grpc::Channel> AdminChannel();

// A context with the call deadline and, when `admin`, the admin bearer token.
std::unique_ptr<grpc::ClientContext> NewContext(bool admin);

// True when --json was given: print results as one line of JSON.
bool JsonOutput();

// Prints `message` as one line of JSON (proto field names; 64-bit integers
// as JSON numbers, not strings).
void PrintJson(const google::protobuf::Message& message);

// `value` if not empty; otherwise, on a terminal, asks for it with `prompt`
// without echo. Returns "" when there is no terminal to ask.
std::string ValueOrPrompt(const std::string& value, const std::string& prompt);

// Prints the error of a failed call on stderr and returns the exit code.
int ReportError(const grpc::Status& status);

// Prints a usage error on stderr and returns kExitUsage.
int UsageError(const std::string& message);

// Splits a comma-separated flag value, dropping empty items.
std::vector<std::string> SplitList(const std::string& value);
// Splits a list of scopes separated by commas, spaces or both ("a,b",
// "a b", "a, b"), dropping empty items.
std::vector<std::string> SplitScopes(const std::string& value);

int RunKeysCommand(const Args& args);
int RunClientCommand(const Args& args);
int RunUserCommand(const Args& args);
int RunGrantCommand(const Args& args);
int RunTokenCommand(const Args& args);
int RunIntrospectCommand(const Args& args);
int RunRevokeCommand(const Args& args);
int RunJwksCommand(const Args& args);
int RunLoginCommand(const Args& args);

}  // namespace oauthctl

#endif  // OAUTHD_CLIENT_OAUTHCTL_CLI_H_
