// oauthctl: command-line client for oauthd (admin API, keys, tokens).

#include <cstdio>
#include <string>
#include <vector>

#include "client/oauthctl/cli.h"
#include "server/common/env_flags.h"

namespace {

constexpr char kUsage[] = R"(oauthctl: command-line client for oauthd.

  oauthctl keys generate --alg=ES256|RS256|EdDSA --out=FILE
  oauthctl keys jwks [PEM_FILE...]         public JWKS of files, or of the server
  oauthctl client create [--id=ID] [--name=N] [--auth_method=M] [--grant_types=a,b]
                         [--redirect_uris=u,..] [--scopes=s,..] [--default_scopes=s,..]
                         [--audiences=a,..] [--access_token_ttl_seconds=N]
                         [--refresh_grace_seconds=N] [--require_pkce=false]
  oauthctl client get|update|delete|rotate-secret CLIENT_ID
  oauthctl client list [--page_size=N] [--page_token=T]
  oauthctl user create|set-password USERNAME --password=P
  oauthctl user get|disable|enable|delete USERNAME;  oauthctl user list
  oauthctl token --client_id=ID [--client_secret=S] [--scope="a b"] [--resource=aud]
                 [--grant=client_credentials|password|refresh_token]
                 [--username=U --password=P] [--refresh_token=T]
  oauthctl introspect TOKEN --client_id=ID --client_secret=S [--token_type_hint=H]
  oauthctl revoke TOKEN --client_id=ID [--client_secret=S] [--token_type_hint=H]
  oauthctl jwks

Global: --address=host:port|unix:/path (default 127.0.0.1:50051), --admin_token_file=F
(admin commands), --json, --timeout=10s, --tls [--tls_ca_file=F].
Every flag may come from OAUTHCTL_<FLAG> in the environment (e.g. OAUTHCTL_ADDRESS).
Exit codes: 0 ok, 1 refused by the server, 2 usage error, 3 server unreachable.)";

const std::vector<std::string> kFlagNames = {
    "address", "admin_token_file", "json", "timeout", "tls", "tls_ca_file", "client_id",
    "client_secret"};

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> positional =
      oauthd::ParseFlagsWithEnv(argc, argv, "OAUTHCTL_", kFlagNames, kUsage, "client/oauthctl/");
  oauthctl::Args args(positional.begin() + 1, positional.end());
  if (args.empty()) {
    std::fprintf(stderr, "%s\n", kUsage);
    return oauthctl::kExitUsage;
  }
  const std::string& command = args[0];
  if (command == "keys") return oauthctl::RunKeysCommand(args);
  if (command == "client") return oauthctl::RunClientCommand(args);
  if (command == "user") return oauthctl::RunUserCommand(args);
  if (command == "token") return oauthctl::RunTokenCommand(args);
  if (command == "introspect") return oauthctl::RunIntrospectCommand(args);
  if (command == "revoke") return oauthctl::RunRevokeCommand(args);
  if (command == "jwks") return oauthctl::RunJwksCommand(args);
  return oauthctl::UsageError("unknown command " + command);
}
