#include "client/oauthctl/command_line.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <set>

#include "absl/flags/reflection.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "client/oauthctl/cli.h"
#include "client/oauthctl/commands.h"
#include "server/common/closest_name.h"
#include "server/common/env_flags.h"
#include "server/jose/json_writer.h"

namespace oauthctl {
namespace {

std::set<std::string>& GivenFlags() {
  static auto* flags = new std::set<std::string>();
  return *flags;
}

[[noreturn]] void Usage(const std::string& where, const std::string& message,
                        const std::string& help_topic) {
  std::fprintf(stderr, "oauthctl%s%s: %s (see oauthctl help%s%s)\n", where.empty() ? "" : " ",
               where.c_str(), message.c_str(), help_topic.empty() ? "" : " ",
               help_topic.c_str());
  std::exit(kExitUsage);
}

[[noreturn]] void PrintHelp(const std::string& text) {
  std::fputs(text.c_str(), stdout);
  if (!absl::EndsWith(text, "\n")) std::fputs("\n", stdout);
  std::exit(kExitOk);
}

std::string DidYouMean(const std::string& word, const std::vector<std::string>& candidates,
                       const std::string& prefix = "") {
  const std::string closest = oauthd::ClosestName(word, candidates);
  return closest.empty() ? "" : absl::StrCat(" (did you mean ", prefix, closest, "?)");
}

struct RawFlag {
  std::string name;  // normalized: '_' for '-'
  std::optional<std::string> value;
  bool negated = false;
  std::string text;  // as written, for messages
};

bool IsHelp(const std::string& name) {
  return name == "help" || name == "h" || name == "helpfull" || name == "helpshort";
}

// The command named by the first words, or the help asked for.
const CommandSpec* ResolveCommand(const std::vector<std::string>& words, bool help,
                                  size_t* command_words) {
  std::vector<std::string> names;
  for (const CommandSpec& c : Commands()) names.push_back(c.name);
  std::vector<std::string> firsts;
  for (const std::string& n : names) firsts.push_back(n.substr(0, n.find(' ')));

  if (words.empty()) {
    if (help) PrintHelp(OverviewHelp());
    std::fprintf(stderr, "%s\n", OverviewHelp().c_str());
    std::exit(kExitUsage);
  }
  if (words[0] == "help") {
    const std::vector<std::string> topic(words.begin() + 1, words.end());
    if (topic.empty()) PrintHelp(OverviewHelp());
    if (topic.size() == 1 && IsCommandFamily(topic[0])) PrintHelp(FamilyHelp(topic[0]));
    if (const CommandSpec* c = FindCommand(absl::StrJoin(topic, " "))) PrintHelp(CommandHelp(*c));
    const std::string asked = absl::StrJoin(topic, " ");
    Usage("help", absl::StrCat("no command \"", asked, "\"", DidYouMean(asked, names)), "");
  }
  const std::string& first = words[0];
  if (IsCommandFamily(first)) {
    const std::vector<std::string> verbs = Verbs(first);
    if (words.size() < 2) {
      if (help) PrintHelp(FamilyHelp(first));
      Usage(first, absl::StrCat("needs a command: ", absl::StrJoin(verbs, "|")), first);
    }
    const CommandSpec* c = FindCommand(absl::StrCat(first, " ", words[1]));
    if (c == nullptr) {
      if (help) PrintHelp(FamilyHelp(first));
      Usage(first,
            absl::StrCat("unknown command ", first, " ", words[1],
                         DidYouMean(words[1], verbs, first + " "),
                         "; ", first, " takes ", absl::StrJoin(verbs, "|")),
            first);
    }
    *command_words = 2;
    return c;
  }
  const CommandSpec* c = FindCommand(first);
  if (c == nullptr) {
    std::vector<std::string> unique(firsts);
    unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
    Usage("", absl::StrCat("unknown command ", first, DidYouMean(first, unique)), "");
  }
  *command_words = 1;
  return c;
}

void SetFlag(absl::CommandLineFlag& flag, const std::string& value, const RawFlag& raw,
             const std::string& command) {
  if (flag.IsOfType<absl::Duration>()) {
    absl::Duration ignored;
    if (!absl::ParseDuration(value, &ignored)) {
      Usage(command, absl::StrCat(raw.text, ": not a duration; write ", oauthd::kDurationForm),
            command);
    }
  }
  std::string error;
  if (!flag.ParseFrom(value, &error)) {
    const bool is_int = flag.IsOfType<int>() || flag.IsOfType<int64_t>();
    Usage(command,
          absl::StrCat(raw.text, ": ",
                       is_int ? "not a whole number" : (error.empty() ? "invalid value" : error)),
          command);
  }
}

}  // namespace

std::vector<std::string> ReadCommandLine(int argc, char** argv,
                                         const std::vector<std::string>& env_flags) {
  oauthd::ApplyFlagsFromEnvironment("oauthctl", "OAUTHCTL_", env_flags);

  std::vector<RawFlag> flags;
  std::vector<std::string> words;
  bool help = false;
  bool flags_done = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (flags_done || arg.size() < 2 || arg[0] != '-') {
      words.push_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_done = true;
      continue;
    }
    absl::string_view body = arg;
    if (!absl::ConsumePrefix(&body, "--")) absl::ConsumePrefix(&body, "-");
    const size_t eq = body.find('=');
    RawFlag raw;
    raw.text = arg;
    raw.name = absl::StrReplaceAll(body.substr(0, eq), {{"-", "_"}});
    if (eq != absl::string_view::npos) raw.value = std::string(body.substr(eq + 1));
    if (IsHelp(raw.name)) {
      help = true;
      continue;
    }
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(raw.name);
    if (flag == nullptr && absl::StartsWith(raw.name, "no") && !raw.value) {
      // --noforce, --no-force, --no_force
      std::string positive_name = raw.name.substr(raw.name.size() > 2 && raw.name[2] == '_' ? 3 : 2);
      absl::CommandLineFlag* positive = absl::FindCommandLineFlag(positive_name);
      if (positive != nullptr && positive->IsOfType<bool>()) {
        raw.name = positive_name;
        raw.negated = true;
        flag = positive;
      }
    }
    // "--name VALUE": the next word is the value of a flag that needs one.
    if (flag != nullptr && !flag->IsOfType<bool>() && !raw.value && i + 1 < argc) {
      raw.value = argv[++i];
      raw.text = absl::StrCat(arg, " ", *raw.value);
    }
    flags.push_back(std::move(raw));
  }

  size_t command_words = 0;
  const CommandSpec* command = ResolveCommand(words, help, &command_words);
  if (help) PrintHelp(CommandHelp(*command));

  std::vector<std::string> allowed = command->flags;
  for (const std::string& g : GlobalFlags()) {
    if (g != "help") allowed.push_back(g);
  }
  for (const RawFlag& raw : flags) {
    if (std::find(allowed.begin(), allowed.end(), raw.name) == allowed.end()) {
      Usage(command->name,
            absl::StrCat(absl::FindCommandLineFlag(raw.name)
                             ? absl::StrCat("--", raw.name, " is not a flag of ", command->name)
                             : absl::StrCat("unknown flag --", raw.name),
                         DidYouMean(raw.name, allowed, "--")),
            command->name);
    }
  }
  for (const RawFlag& raw : flags) {
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(raw.name);
    if (flag->IsOfType<bool>()) {
      SetFlag(*flag, raw.negated ? "false" : raw.value.value_or("true"), raw, command->name);
    } else {
      if (!raw.value) Usage(command->name, absl::StrCat(raw.text, " needs a value"), command->name);
      SetFlag(*flag, *raw.value, raw, command->name);
    }
    GivenFlags().insert(raw.name);
  }

  // oauthd's fields are proto3 strings, which must be UTF-8: anything else
  // reaches oauthd as a message it cannot parse, and the answer names nothing.
  // A file name is bytes, and is not sent. Values are not echoed (secrets).
  for (const std::string& name : allowed) {
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr || !flag->IsOfType<std::string>() || absl::EndsWith(name, "_file") ||
        name == "out") {
      continue;
    }
    if (!oauthd::jose::IsValidUtf8(flag->CurrentValue())) {
      Usage(command->name, absl::StrCat("--", name, " is not valid UTF-8"), command->name);
    }
  }
  if (!absl::StrContains(command->operands, "FILE")) {
    for (size_t i = command_words; i < words.size(); ++i) {
      if (!oauthd::jose::IsValidUtf8(words[i])) {
        Usage(command->name, absl::StrCat(command->operands, " is not valid UTF-8"),
              command->name);
      }
    }
  }

  // Operands: none, one, or (keys jwks) any number.
  const size_t operands = words.size() - command_words;
  const size_t allowed_operands = command->operands.empty()                    ? 0
                                  : absl::StrContains(command->operands, "...") ? words.size()
                                                                                : 1;
  if (operands > allowed_operands) {
    const std::string extra = words[command_words + allowed_operands];
    Usage(command->name,
          command->operands.empty()
              ? absl::StrCat("takes no operand, not \"", extra, "\"")
              : absl::StrCat("takes one ", command->operands, "; unexpected \"", extra, "\""),
          command->name);
  }
  return words;
}

bool FlagGiven(const std::string& name) { return GivenFlags().count(name) > 0; }

}  // namespace oauthctl
