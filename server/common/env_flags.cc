#include "server/common/env_flags.h"

#include <cstdio>
#include <cstdlib>

#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace oauthd {

std::vector<char*> ParseFlagsWithEnv(int argc, char** argv, absl::string_view prefix,
                                     const std::vector<std::string>& flag_names,
                                     absl::string_view usage, absl::string_view help_path) {
  absl::SetProgramUsageMessage(usage);
  if (!help_path.empty()) {
    absl::FlagsUsageConfig config;
    static std::string* help_filter = new std::string(help_path);
    config.contains_help_flags = [](absl::string_view file) {
      return absl::StrContains(file, *help_filter);
    };
    config.contains_helpshort_flags = config.contains_help_flags;
    absl::SetFlagsUsageConfig(config);
  }
  for (const std::string& name : flag_names) {
    const std::string var = absl::StrCat(prefix, absl::AsciiStrToUpper(name));
    const char* value = std::getenv(var.c_str());
    if (value == nullptr) continue;
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    std::string error;
    if (flag == nullptr || !flag->ParseFrom(value, &error)) {
      std::fprintf(stderr, "%s: bad value in environment variable %s: %s\n", argv[0],
                   var.c_str(), error.c_str());
      std::exit(2);
    }
  }
  return absl::ParseCommandLine(argc, argv);
}

}  // namespace oauthd
