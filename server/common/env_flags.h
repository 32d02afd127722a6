#ifndef OAUTHD_SERVER_COMMON_ENV_FLAGS_H_
#define OAUTHD_SERVER_COMMON_ENV_FLAGS_H_

// Flags from the command line and from <PREFIX>_<FLAG> environment variables,
// with configuration mistakes stopping the program with one clear line
// (exit code kConfigErrorExit) rather than being ignored or misread.

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace oauthd {

// Exit code of a configuration error found while reading flags and
// environment variables.
inline constexpr int kConfigErrorExit = 2;

// What a duration looks like, for error messages: "a number with a unit, e.g.
// 10m, 30s, 1h30m or 500ms".
extern const char kDurationForm[];

// Sets every flag named in `flag_names` from the environment variable
// `<prefix><FLAG NAME IN UPPER CASE>` when that variable is set (e.g.
// OAUTHD_REDIS_URL for --redis_url). Stops the program (kConfigErrorExit, one
// line on stderr starting with `program`) when a variable starting with
// `prefix` names no flag in `flag_names` (the line names the closest known
// variable), or when a value does not parse (a duration's line shows the
// expected form). A variable that looks like a Kubernetes service link
// (<PREFIX>PORT, <PREFIX>SERVICE_HOST, ...) gets a hint to turn those off.
// Not thread-safe (reads the environment, sets flags): call it from main.
void ApplyFlagsFromEnvironment(absl::string_view program, absl::string_view prefix,
                               const std::vector<std::string>& flag_names);

// Parses the command line with Abseil flags after ApplyFlagsFromEnvironment
// (the command line wins over the environment). Before Abseil sees it, every
// flag on the command line is checked: an unknown one stops the program
// (kConfigErrorExit, one line naming the closest flag of `flag_names`), and so
// does a value that does not parse (durations: with kDurationForm).
// `--help` lists the flags defined in files whose path contains `help_path`
// (e.g. "server/oauthd/"; empty keeps Abseil's default). Returns the
// positional arguments (argv[0] first).
std::vector<char*> ParseFlagsWithEnv(int argc, char** argv, absl::string_view prefix,
                                     const std::vector<std::string>& flag_names,
                                     absl::string_view usage,
                                     absl::string_view help_path = "");

}  // namespace oauthd

#endif  // OAUTHD_SERVER_COMMON_ENV_FLAGS_H_
