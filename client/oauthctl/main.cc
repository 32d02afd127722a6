// oauthctl: command-line client for oauthd (admin API, keys, tokens).

#include <string>
#include <vector>

#include "client/oauthctl/cli.h"
#include "client/oauthctl/command_line.h"

namespace {

// Flags that OAUTHCTL_<FLAG> variables may set.
const std::vector<std::string> kEnvFlagNames = {
    "address", "admin_address", "admin_token_file", "json", "timeout", "tls", "tls_ca_file",
    "tls_server_name", "tls_cert_file", "tls_key_file", "client_id", "client_secret",
    "private_key_file"};

}  // namespace

int main(int argc, char** argv) {
  // Returns only for a command to run (help and usage errors exit).
  const oauthctl::Args args = oauthctl::ReadCommandLine(argc, argv, kEnvFlagNames);
  const std::string& command = args[0];
  if (command == "keys") return oauthctl::RunKeysCommand(args);
  if (command == "client") return oauthctl::RunClientCommand(args);
  if (command == "user") return oauthctl::RunUserCommand(args);
  if (command == "grant") return oauthctl::RunGrantCommand(args);
  if (command == "token") return oauthctl::RunTokenCommand(args);
  if (command == "introspect") return oauthctl::RunIntrospectCommand(args);
  if (command == "revoke") return oauthctl::RunRevokeCommand(args);
  if (command == "jwks") return oauthctl::RunJwksCommand(args);
  if (command == "login") return oauthctl::RunLoginCommand(args);
  return oauthctl::UsageError("unknown command " + command);
}
