#include "server/oauthd/key_file_watcher.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace oauthd {
namespace {

void Log(const std::string& line) { std::fprintf(stderr, "oauthd: %s\n", line.c_str()); }

}  // namespace

absl::StatusOr<std::string> ReadKeyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::UnavailableError(
        absl::StrCat("signing key ", path, ": cannot open: ", std::strerror(errno)));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return absl::UnavailableError(absl::StrCat("signing key ", path, ": read error"));
  return buffer.str();
}

KeyFileWatcher::KeyFileWatcher(std::vector<std::string> files,
                               std::vector<std::string> initial_contents, SigningKeyRing& ring,
                               absl::Duration reload_interval)
    : files_(std::move(files)),
      contents_(std::move(initial_contents)),
      ring_(ring),
      reload_interval_(reload_interval),
      thread_([this] { Run(); }) {}

KeyFileWatcher::~KeyFileWatcher() {
  stop_.Notify();
  thread_.join();
}

void KeyFileWatcher::Run() {
  const absl::Duration tick = std::min(absl::Seconds(1), reload_interval_);
  absl::Time next_reload = absl::Now() + reload_interval_;
  while (!stop_.WaitForNotificationWithTimeout(tick)) {
    if (absl::Now() >= next_reload) {
      Reload();
      next_reload = absl::Now() + reload_interval_;
    }
    for (const std::string& line : ring_.Tick()) Log(line);
  }
}

void KeyFileWatcher::Reload() {
  std::vector<std::string> contents;
  std::string problem;
  for (const std::string& file : files_) {
    absl::StatusOr<std::string> content = ReadKeyFile(file);
    if (!content.ok()) {
      problem = std::string(content.status().message());
      break;
    }
    contents.push_back(*std::move(content));
  }
  if (problem.empty() && contents == contents_) {
    last_problem_.clear();
    return;
  }
  std::vector<LoadedSigningKey> keys;
  for (size_t i = 0; problem.empty() && i < contents.size(); ++i) {
    absl::StatusOr<jose::SigningKey> key = jose::SigningKey::FromPem(contents[i], files_[i]);
    if (!key.ok()) {
      problem = std::string(key.status().message());
      break;
    }
    keys.push_back(LoadedSigningKey{
        std::make_shared<const jose::SigningKey>(*std::move(key)), files_[i]});
  }
  if (!problem.empty()) {
    if (problem != last_problem_) {
      Log(absl::StrCat(problem, " (the signing keys in use stay; retrying every ",
                       absl::FormatDuration(reload_interval_), ")"));
    }
    last_problem_ = problem;
    return;
  }
  last_problem_.clear();
  contents_ = std::move(contents);
  for (const std::string& line : ring_.Update(std::move(keys))) Log(line);
}

}  // namespace oauthd
