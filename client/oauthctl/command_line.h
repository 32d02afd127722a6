#ifndef OAUTHD_CLIENT_OAUTHCTL_COMMAND_LINE_H_
#define OAUTHD_CLIENT_OAUTHCTL_COMMAND_LINE_H_

// Reading oauthctl's command line: OAUTHCTL_* variables, then the flags, each
// checked against the command it is given to.

#include <string>
#include <vector>

namespace oauthctl {

// Applies the OAUTHCTL_<FLAG> variables of `env_flags`, finds the command in
// the positional words and sets its flags. Flag names take '-' or '_'
// (--client-id = --client_id), values "--name=V" or "--name V", booleans
// "--name", "--name=false" or "--noname"; "--" ends the flags.
// Returns the positional words (command first) when the command is to run.
// Does not return otherwise:
//  - help asked for (`help [COMMAND]`, `--help`, `-h`): prints it on stdout,
//    exits 0;
//  - a usage error (unknown command or flag, a flag of another command, a
//    bad value, a value or operand that is not UTF-8 (file names excepted:
//    oauthd's fields are text), too many operands, an unknown OAUTHCTL_*
//    variable): one line on stderr with a "did you mean" where something is
//    close, exits 2.
// Call once, from main, before any flag is read.
std::vector<std::string> ReadCommandLine(int argc, char** argv,
                                         const std::vector<std::string>& env_flags);

// True if --name (or --noname, or --na-me) was on the command line.
bool FlagGiven(const std::string& name);

}  // namespace oauthctl

#endif  // OAUTHD_CLIENT_OAUTHCTL_COMMAND_LINE_H_
