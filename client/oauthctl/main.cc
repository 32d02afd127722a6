// oauthctl: command-line client for oauthd (admin API, keys, tokens).

#include <cstdio>
#include <string>
#include <vector>

#include "client/oauthctl/cli.h"
#include "server/common/env_flags.h"

namespace {

constexpr char kUsage[] = R"(oauthctl: command-line client for oauthd.

Keys (local, no server):
  oauthctl keys generate --alg=ES256|RS256|EdDSA --out=FILE [--force]
  oauthctl keys jwks [PEM_FILE...]      public JWK Set of PEM files (of the server without files)
  oauthctl keys status                  kids, which key signs and since when, next and retiring keys
Clients (admin API, needs --admin_token_file):
  oauthctl client create [--id=ID] [--name=N] [--auth_method=client_secret_basic|client_secret_post|none]
                         [--grant_types=a,b] [--redirect_uris=u,..] [--scopes=s,..] [--default_scopes=s,..]
                         [--audiences=a,..] [--access_token_ttl_seconds=N] [--refresh_token_ttl_seconds=N]
                         [--refresh_family_ttl_seconds=N] [--refresh_grace_seconds=N]
                         [--require_pkce=false] [--allow_plain_pkce] [--introspect_any_token]
  oauthctl client update CLIENT_ID  (same field flags; only the fields given change)
  oauthctl client get|delete|rotate-secret CLIENT_ID   (rotate-secret [--previous_secret_ttl=10m])
  oauthctl client revoke-grants CLIENT_ID   every grant and token of the client dies
  oauthctl client list [--page_size=N] [--page_token=T]
Users (admin API):
  oauthctl user create|set-password USERNAME [--password=P]   (prompted on a terminal if absent)
  oauthctl user get|disable|enable|delete USERNAME   (get shows the login limits' state)
  oauthctl user unlock USERNAME          clears the user's login limits (as set-password does)
  oauthctl user list [--page_size=N] [--page_token=T]
  oauthctl user grants USERNAME          the user's live grants (where they are signed in)
  oauthctl user revoke-grants USERNAME   sign the user out everywhere
  oauthctl grant revoke GRANT_ID         one grant and every token of it
  (disable, delete and set-password also revoke every grant of the user; delete of
  a client revokes everything of it: docs/revocation.md)
Tokens:
  oauthctl token --client_id=ID [--client_secret=S] [--scope="a b"] [--resource=aud,..]
                 [--grant=client_credentials|password|refresh_token]
                 [--username=U [--password=P]] [--refresh_token=T]
  oauthctl introspect TOKEN --client_id=ID --client_secret=S [--token_type_hint=H]
  oauthctl revoke TOKEN --client_id=ID [--client_secret=S] [--token_type_hint=H]
  oauthctl jwks                         the server's published signing keys

Global: --address=host:port|unix:/path (default 127.0.0.1:50051),
--admin_address=host:port|unix:/path (oauthd's --admin_listen, default 127.0.0.1:50052),
--admin_token_file=F, --json (one JSON object per result instead of text), --timeout=10s,
--tls [--tls_ca_file=F] [--tls_server_name=N] [--tls_cert_file=F --tls_key_file=F (mTLS)].
Every global flag and --client_id/--client_secret may come from OAUTHCTL_<FLAG> in the
environment (e.g. OAUTHCTL_ADDRESS); the command line wins.
A CLIENT_ID, USERNAME or TOKEN that starts with '-' goes after "--", which ends the flags:
  oauthctl introspect --client_id=ID --client_secret=S -- -Fq3...
Exit codes: 0 ok, 1 refused by the server (the OAuth error is printed), 2 usage error,
3 server unreachable or timed out.)";

const std::vector<std::string> kFlagNames = {
    "address", "admin_address", "admin_token_file", "json", "timeout", "tls", "tls_ca_file",
    "tls_server_name", "tls_cert_file", "tls_key_file", "client_id", "client_secret"};

}  // namespace

int main(int argc, char** argv) {
  oauthctl::RecordGivenFlags(argc, argv);
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
  if (command == "grant") return oauthctl::RunGrantCommand(args);
  if (command == "token") return oauthctl::RunTokenCommand(args);
  if (command == "introspect") return oauthctl::RunIntrospectCommand(args);
  if (command == "revoke") return oauthctl::RunRevokeCommand(args);
  if (command == "jwks") return oauthctl::RunJwksCommand(args);
  return oauthctl::UsageError("unknown command " + command);
}
