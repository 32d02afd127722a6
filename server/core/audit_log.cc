#include "server/core/audit_log.h"

#include "server/jose/json_writer.h"

namespace oauthd {

std::string AuditLine(const AuditEvent& event, absl::Time time) {
  std::string line = "{\"time\":";
  jose::AppendJsonString(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone()),
                         &line);
  for (const auto& [name, value] :
       {std::pair<const char*, const std::string*>{"event", &event.event},
        {"client_id", &event.client_id},
        {"subject", &event.subject},
        {"grant_id", &event.grant_id},
        {"source_address", &event.source_address},
        {"detail", &event.detail}}) {
    if (value->empty()) continue;
    line.append(",\"").append(name).append("\":");
    jose::AppendJsonString(*value, &line);
  }
  line.push_back('}');
  return line;
}

void JsonLinesAuditLog::Record(const AuditEvent& event) {
  std::string line = AuditLine(event, clock_());
  line.push_back('\n');
  absl::MutexLock lock(&mu_);
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

}  // namespace oauthd
