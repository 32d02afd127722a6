#include "server/common/env_flags.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "server/common/closest_name.h"

extern char** environ;

namespace oauthd {

const char kDurationForm[] = "a number with a unit, e.g. 10m, 30s, 1h30m or 500ms";

namespace {

[[noreturn]] void ConfigError(absl::string_view program, absl::string_view message) {
  std::fprintf(stderr, "%.*s: %.*s\n", static_cast<int>(program.size()), program.data(),
               static_cast<int>(message.size()), message.data());
  std::exit(kConfigErrorExit);
}

// Sets `flag` from `value`; the error line names the setting as `where`
// ("--code_ttl=60" or "OAUTHD_CODE_TTL=60").
void SetFlag(absl::string_view program, absl::CommandLineFlag& flag, absl::string_view value,
             absl::string_view where) {
  std::string error;
  if (flag.IsOfType<absl::Duration>()) {
    absl::Duration ignored;
    if (!absl::ParseDuration(std::string(absl::StripAsciiWhitespace(value)), &ignored)) {
      ConfigError(program, absl::StrCat(where, ": not a duration; write ", kDurationForm));
    }
  }
  if (!flag.ParseFrom(value, &error)) {
    ConfigError(program, absl::StrCat(where, ": ", error.empty() ? "invalid value" : error));
  }
}

// Flags of Abseil's own that every binary has (--help and friends).
bool IsBuiltinFlag(absl::string_view name) {
  static const auto* builtin = new std::set<std::string, std::less<>>{
      "help", "helpfull", "helpshort", "helppackage", "helpon", "helpmatch", "version",
      "only_check_args", "flagfile", "fromenv", "tryfromenv", "undefok"};
  return builtin->count(name) > 0;
}

// The flags of the command line, checked before Abseil parses it.
void CheckCommandLine(absl::string_view program, int argc, char** argv,
                      const std::vector<std::string>& flag_names) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") return;
    if (arg.size() < 2 || arg[0] != '-') continue;
    absl::string_view body = arg;
    if (!absl::ConsumePrefix(&body, "--")) absl::ConsumePrefix(&body, "-");
    const size_t eq = body.find('=');
    const absl::string_view name = body.substr(0, eq);
    if (IsBuiltinFlag(name)) continue;
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr && absl::StartsWith(name, "no")) {
      absl::CommandLineFlag* positive = absl::FindCommandLineFlag(name.substr(2));
      if (positive != nullptr && positive->IsOfType<bool>() && eq == absl::string_view::npos) {
        continue;
      }
    }
    if (flag == nullptr) {
      const std::string closest = ClosestName(name, flag_names);
      ConfigError(program, absl::StrCat("unknown flag --", name,
                                        closest.empty() ? "" : absl::StrCat(" (did you mean --", closest, "?)"),
                                        "; see --help"));
    }
    if (eq != absl::string_view::npos) {
      SetFlag(program, *flag, body.substr(eq + 1), arg);
    } else if (!flag->IsOfType<bool>()) {
      if (i + 1 >= argc) ConfigError(program, absl::StrCat(arg, " needs a value"));
      SetFlag(program, *flag, argv[i + 1], absl::StrCat(arg, " ", argv[i + 1]));
      ++i;
    }
  }
}

// Kubernetes injects <SERVICE>_PORT, <SERVICE>_SERVICE_HOST, ... for every
// Service of the namespace unless the pod sets enableServiceLinks: false.
bool LooksLikeServiceLink(absl::string_view rest) {
  return rest == "PORT" || absl::StartsWith(rest, "PORT_") ||
         absl::StartsWith(rest, "SERVICE_HOST") || absl::StartsWith(rest, "SERVICE_PORT");
}

}  // namespace

void ApplyFlagsFromEnvironment(absl::string_view program, absl::string_view prefix,
                               const std::vector<std::string>& flag_names) {
  std::vector<std::string> known;
  for (const std::string& name : flag_names) {
    known.push_back(absl::StrCat(prefix, absl::AsciiStrToUpper(name)));
  }
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    absl::string_view var = *entry;
    var = var.substr(0, var.find('='));
    if (!absl::StartsWith(var, prefix)) continue;
    if (std::find(known.begin(), known.end(), var) != known.end()) continue;
    absl::string_view rest = var.substr(prefix.size());
    if (LooksLikeServiceLink(rest)) {
      ConfigError(program, absl::StrCat("unknown environment variable ", var,
                                        ": it looks like a Kubernetes service link; set "
                                        "enableServiceLinks: false in the pod spec"));
    }
    const std::string closest = ClosestName(var, known);
    ConfigError(program,
                absl::StrCat("unknown environment variable ", var,
                             closest.empty() ? "" : absl::StrCat(" (did you mean ", closest, "?)"),
                             "; every ", prefix, "* variable must name a flag (see --help)"));
  }
  for (size_t i = 0; i < flag_names.size(); ++i) {
    const char* value = std::getenv(known[i].c_str());
    if (value == nullptr) continue;
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(flag_names[i]);
    if (flag == nullptr) {
      ConfigError(program, absl::StrCat(known[i], ": no flag --", flag_names[i]));
    }
    SetFlag(program, *flag, value, absl::StrCat(known[i], "=", value));
  }
}

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
  absl::string_view program = argv[0];
  program = program.substr(program.rfind('/') + 1);
  ApplyFlagsFromEnvironment(program, prefix, flag_names);
  CheckCommandLine(program, argc, argv, flag_names);
  return absl::ParseCommandLine(argc, argv);
}

}  // namespace oauthd
