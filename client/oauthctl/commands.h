#ifndef OAUTHD_CLIENT_OAUTHCTL_COMMANDS_H_
#define OAUTHD_CLIENT_OAUTHCTL_COMMANDS_H_

// The commands of oauthctl: their names, operands, the flags each accepts,
// and their help text (`oauthctl help client create`,
// `oauthctl client create --help`).

#include <string>
#include <vector>

namespace oauthctl {

struct CommandSpec {
  std::string name;      // "client create", "token"
  std::string operands;  // "CLIENT_ID", "" when none
  std::string summary;   // one line
  std::string details;   // more lines, may be empty
  // Flags of this command besides the global ones (names without "--").
  std::vector<std::string> flags;
};

// Every command, in the order `oauthctl help` lists them.
const std::vector<CommandSpec>& Commands();

// Flags every command accepts (--address, --json, ...).
const std::vector<std::string>& GlobalFlags();

// The command called `name` ("client create"), or null.
const CommandSpec* FindCommand(const std::string& name);

// True for the first word of a two-word command ("client", "keys", ...).
bool IsCommandFamily(const std::string& word);

// The second words of `family`'s commands ("create", "get", ...).
std::vector<std::string> Verbs(const std::string& family);

// The overview printed by `oauthctl help` / `oauthctl --help`.
std::string OverviewHelp();
// The help of one command: usage line, summary, its flags with their help
// and defaults, and a pointer to the global flags.
std::string CommandHelp(const CommandSpec& command);
// The help of a family: its commands with their summaries.
std::string FamilyHelp(const std::string& family);

}  // namespace oauthctl

#endif  // OAUTHD_CLIENT_OAUTHCTL_COMMANDS_H_
