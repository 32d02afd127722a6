#include "client/oauthctl/commands.h"

#include <algorithm>

#include "absl/flags/reflection.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"

namespace oauthctl {
namespace {

const std::vector<std::string> kClientFields = {
    "name", "auth_method", "jwks_file", "allowed_cors_origins", "grant_types", "redirect_uris",
    "scopes", "default_scopes",
    "audiences", "access_token_ttl_seconds", "refresh_token_ttl_seconds",
    "refresh_family_ttl_seconds", "refresh_grace_seconds", "require_pkce", "allow_plain_pkce",
    "introspect_any_token"};

std::vector<std::string> With(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

constexpr char kOverview[] = R"(oauthctl: command-line client for oauthd.

Keys (local, no server):
  oauthctl keys generate --alg=ES256|RS256|EdDSA --out=FILE [--force]
  oauthctl keys jwks [PEM_FILE...]      public JWK Set of PEM files (of the server without files)
  oauthctl keys status                  kids, which key signs and since when, next and retiring keys
Clients (admin API, needs --admin_token_file):
  oauthctl client create [--id=ID] [--name=N]
                         [--auth_method=client_secret_basic|client_secret_post|private_key_jwt|none]
                         [--jwks_file=JWKS_OR_PEM (private_key_jwt: the client's public keys)]
                         [--allowed_cors_origins=https://app.example,..]
                         [--grant_types=a,b] [--redirect_uris=u,..] [--scopes="s t"] [--default_scopes=s,..]
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
  oauthctl token --client_id=ID [--client_secret=S | --private_key_file=PEM] [--scope="a b"]
                 [--resource=aud,..] [--grant=client_credentials|password|refresh_token]
                 [--username=U [--password=P]] [--refresh_token=T]
  oauthctl introspect TOKEN --client_id=ID --client_secret=S|--private_key_file=PEM
                 [--token_type_hint=H]
  oauthctl revoke TOKEN --client_id=ID [--client_secret=S|--private_key_file=PEM]
                 [--token_type_hint=H]
  (--private_key_file: private_key_jwt, RFC 7523, with the key registered by --jwks_file)
  oauthctl jwks                         the server's published signing keys
  oauthctl login --device --client_id=ID [--client_secret=S] [--scope="a b"] [--resource=aud,..]
                 device authorization (RFC 8628): prints a code and a URL to open in a
                 browser, waits for the approval, prints the token

Help on one command: oauthctl help client create, or oauthctl client create --help.
Each command accepts only its own flags and the global ones; flag names take dashes or
underscores (--client-id = --client_id); --name=VALUE and --name VALUE both work.
Scopes (--scopes, --default_scopes, --scope) may be separated by commas or spaces.

Global: --address=host:port|unix:/path (default 127.0.0.1:50051),
--admin_address=host:port|unix:/path (oauthd's --admin_listen, default 127.0.0.1:50052),
--admin_token_file=F, --json (one JSON object per result instead of text; numbers are
JSON numbers), --timeout=10s, --tls [--tls_ca_file=F] [--tls_server_name=N]
[--tls_cert_file=F --tls_key_file=F (mTLS)].
Every global flag and --client_id/--client_secret/--private_key_file may come from
OAUTHCTL_<FLAG> in the
environment (e.g. OAUTHCTL_ADDRESS); the command line wins; an unknown OAUTHCTL_*
variable is an error.
A CLIENT_ID, USERNAME or TOKEN that starts with '-' goes after "--", which ends the flags:
  oauthctl introspect --client_id=ID --client_secret=S -- -Fq3...
Exit codes: 0 ok, 1 refused by the server (the OAuth error is printed), 2 usage error,
3 server unreachable or timed out.)";

}  // namespace

const std::vector<std::string>& GlobalFlags() {
  static const auto* flags = new std::vector<std::string>{
      "address", "admin_address", "admin_token_file", "json", "timeout", "tls",
      "tls_ca_file", "tls_server_name", "tls_cert_file", "tls_key_file", "help"};
  return *flags;
}

const std::vector<CommandSpec>& Commands() {
  static const auto* commands = new std::vector<CommandSpec>{
      {"keys generate", "", "Writes a new signing key (PEM, mode 0600) for oauthd --signing_keys.",
       "", {"alg", "out", "force"}},
      {"keys jwks", "[PEM_FILE...]",
       "Prints the public JWK Set of PEM key files (of the server when no file is given).", "",
       {}},
      {"keys status", "",
       "Shows the signing keys oauthd holds: kid, which one signs and since when, the next "
       "one and those retiring.", "", {}},
      {"client create", "", "Registers a client; prints its client_secret once.",
       "Without --scopes the client may ask for no scope at all.",
       With({"id"}, kClientFields)},
      {"client update", "CLIENT_ID", "Changes the fields whose flags are given, nothing else.",
       "", kClientFields},
      {"client get", "CLIENT_ID", "Shows a client.", "", {}},
      {"client list", "", "Lists clients, a page at a time.", "", {"page_size", "page_token"}},
      {"client delete", "CLIENT_ID",
       "Deletes a client; every grant and token of it stops working.", "", {}},
      {"client rotate-secret", "CLIENT_ID",
       "Gives a confidential client a new secret (printed once).",
       "The previous secret keeps working for --previous_secret_ttl (the server's default "
       "without it; 0s ends it at once).",
       {"previous_secret_ttl"}},
      {"client revoke-grants", "CLIENT_ID", "Revokes every grant and token of a client.", "",
       {}},
      {"user create", "USERNAME", "Creates a user (password prompted on a terminal if absent).",
       "", {"password", "username"}},
      {"user set-password", "USERNAME",
       "Sets a user's password; ends the user's grants and clears the login limits.", "",
       {"password", "username"}},
      {"user get", "USERNAME", "Shows a user and the state of the login limits.", "",
       {"username"}},
      {"user list", "", "Lists users, a page at a time.", "", {"page_size", "page_token"}},
      {"user disable", "USERNAME", "Disables a user and ends every grant of the user.", "",
       {"username"}},
      {"user enable", "USERNAME", "Enables a disabled user.", "", {"username"}},
      {"user delete", "USERNAME", "Deletes a user and ends every grant of the user.", "",
       {"username"}},
      {"user unlock", "USERNAME", "Clears the user's login limits.", "", {"username"}},
      {"user grants", "USERNAME", "Lists the user's live grants (where they are signed in).",
       "", {"username", "page_size"}},
      {"user revoke-grants", "USERNAME", "Signs the user out everywhere.", "", {"username"}},
      {"grant revoke", "GRANT_ID", "Revokes one grant and every token of it.", "", {}},
      {"token", "", "Gets a token from oauthd (client_credentials, password or refresh_token).",
       "--scope is what to ask for; without it the client's default scopes apply.",
       {"client_id", "client_secret", "private_key_file", "grant", "scope", "resource",
        "username", "password", "refresh_token"}},
      {"introspect", "TOKEN", "Shows whether a token is active, and its claims (RFC 7662).",
       "Needs a confidential client's credentials.",
       {"client_id", "client_secret", "private_key_file", "token_type_hint"}},
      {"revoke", "TOKEN", "Revokes a token (RFC 7009).", "",
       {"client_id", "client_secret", "private_key_file", "token_type_hint"}},
      {"jwks", "", "Shows the server's published signing keys.", "", {}},
      {"login", "",
       "Signs in from a terminal with the device authorization grant (RFC 8628, --device).",
       "Prints a code and a URL to open in a browser, waits for the approval (respecting the "
       "poll interval and slow_down), then prints the token.",
       {"device", "client_id", "client_secret", "scope", "resource"}},
  };
  return *commands;
}

const CommandSpec* FindCommand(const std::string& name) {
  for (const CommandSpec& c : Commands()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

bool IsCommandFamily(const std::string& word) {
  return word == "keys" || word == "client" || word == "user" || word == "grant";
}

std::vector<std::string> Verbs(const std::string& family) {
  std::vector<std::string> verbs;
  for (const CommandSpec& c : Commands()) {
    if (c.name.size() > family.size() && c.name.compare(0, family.size() + 1, family + " ") == 0) {
      verbs.push_back(c.name.substr(family.size() + 1));
    }
  }
  return verbs;
}

std::string OverviewHelp() { return kOverview; }

std::string CommandHelp(const CommandSpec& command) {
  std::string out = absl::StrCat("Usage: oauthctl ", command.name,
                                 command.operands.empty() ? "" : " ", command.operands,
                                 command.flags.empty() ? "" : " [flags]", "\n\n",
                                 command.summary, "\n");
  if (!command.details.empty()) absl::StrAppend(&out, command.details, "\n");
  if (!command.flags.empty()) absl::StrAppend(&out, "\nFlags:\n");
  size_t width = 0;
  for (const std::string& name : command.flags) width = std::max(width, name.size() + 12);
  for (const std::string& name : command.flags) {
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr) continue;
    std::string left = absl::StrCat("  --", name);
    if (!flag->IsOfType<bool>()) absl::StrAppend(&left, "=VALUE");
    std::string line = left;
    line.append(width - left.size(), ' ');
    absl::StrAppend(&line, flag->Help());
    const std::string def = flag->DefaultValue();
    if (!def.empty() && def != "0" && def != "false") absl::StrAppend(&line, " (default ", def, ")");
    absl::StrAppend(&out, line, "\n");
  }
  absl::StrAppend(&out,
                  "\nGlobal flags: --address, --admin_address, --admin_token_file, --json, "
                  "--timeout, --tls, --tls_ca_file, --tls_server_name, --tls_cert_file, "
                  "--tls_key_file (oauthctl --help).\n");
  return out;
}

std::string FamilyHelp(const std::string& family) {
  std::string out = absl::StrCat("Usage: oauthctl ", family, " COMMAND ...\n\nCommands:\n");
  for (const CommandSpec& c : Commands()) {
    if (c.name.compare(0, family.size() + 1, family + " ") != 0) continue;
    std::string left = absl::StrCat("  oauthctl ", c.name, c.operands.empty() ? "" : " ",
                                    c.operands);
    left.append(left.size() < 44 ? 44 - left.size() : 1, ' ');
    absl::StrAppend(&out, left, c.summary, "\n");
  }
  absl::StrAppend(&out, "\nMore on one: oauthctl help ", family, " COMMAND\n");
  return out;
}

}  // namespace oauthctl
