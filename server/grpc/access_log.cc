#include "server/grpc/access_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/jose/json_writer.h"

namespace oauthd::grpc_api {
namespace {

void Field(std::string& out, absl::string_view name, absl::string_view value) {
  absl::StrAppend(&out, ",\"", name, "\":");
  // Every value is valid UTF-8 (proto3 strings, our own names); anything
  // else is dropped rather than written as invalid JSON.
  jose::AppendJsonString(jose::IsValidUtf8(value) ? value : "", &out);
}

}  // namespace

std::string FormatAccessLogLine(const AccessLogEntry& e) {
  std::string out = "{\"time\":";
  jose::AppendJsonString(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", e.time, absl::UTCTimeZone()),
                         &out);
  Field(out, "method", e.method);
  Field(out, "grant_type", e.grant_type);
  Field(out, "client_id", e.client_id);
  Field(out, "code", e.code);
  Field(out, "error", e.error);
  absl::StrAppend(&out, ",\"latency_ms\":",
                  absl::StrFormat("%.3f", absl::ToDoubleMilliseconds(e.latency)));
  Field(out, "peer", e.peer);
  Field(out, "source_address", e.source_address);
  out += '}';
  return out;
}

absl::StatusOr<std::unique_ptr<AccessLog>> AccessLog::Open(const std::string& where) {
  if (where == "-") return std::unique_ptr<AccessLog>(new AccessLog(STDOUT_FILENO, false));
  const int fd = ::open(where.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot open ", where, " for appending: ", std::strerror(errno)));
  }
  return std::unique_ptr<AccessLog>(new AccessLog(fd, true));
}

AccessLog::~AccessLog() {
  if (owned_) ::close(fd_);
}

void AccessLog::Write(const AccessLogEntry& entry) {
  std::string line = FormatAccessLogLine(entry);
  line += '\n';
  // One write per line; a short write (disk full, a closed pipe) loses the
  // rest of that line only: a log must never hold up a call.
  ssize_t written;
  do {
    written = ::write(fd_, line.data(), line.size());
  } while (written < 0 && errno == EINTR);
}

}  // namespace oauthd::grpc_api
