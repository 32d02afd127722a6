#ifndef OAUTHD_SERVER_COMMON_ENV_FLAGS_H_
#define OAUTHD_SERVER_COMMON_ENV_FLAGS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace oauthd {

// Parses the command line with Abseil flags, after first setting every flag
// named in `flag_names` from the environment variable `<prefix><FLAG NAME IN
// UPPER CASE>` when that variable is set (e.g. OAUTHD_REDIS_URL for
// --redis_url). The command line wins over the environment. An environment
// value that does not parse stops the program with one clear line.
// `--help` lists the flags defined in files whose path contains
// `help_path` (e.g. "server/oauthd/"; empty keeps Abseil's default). Returns the positional arguments
// (argv[0] first).
std::vector<char*> ParseFlagsWithEnv(int argc, char** argv, absl::string_view prefix,
                                     const std::vector<std::string>& flag_names,
                                     absl::string_view usage,
                                     absl::string_view help_path = "");

}  // namespace oauthd

#endif  // OAUTHD_SERVER_COMMON_ENV_FLAGS_H_
