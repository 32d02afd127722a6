#include "server/common/env_flags.h"

#include <cstdio>
#include <cstdlib>

#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace oauthd {

std::vector<char*> ParseFlagsWithEnv(int argc, char** argv, absl::string_view prefix,
                                     const std::vector<std::string>& flag_names,
                                     absl::string_view usage) {
  absl::SetProgramUsageMessage(usage);
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
