#ifndef OAUTHD_SERVER_CORE_AUDIT_LOG_H_
#define OAUTHD_SERVER_CORE_AUDIT_LOG_H_

#include <cstdio>
#include <string>

#include "absl/synchronization/mutex.h"
#include "server/core/clock.h"

namespace oauthd {

// A security event: who did what, from where. Never a secret, password,
// token, code or username typed at a login (people type passwords into
// the username field); `subject` is set once a user is known.
struct AuditEvent {
  // login.success, login.failure, login.throttled, token.issued,
  // token.refreshed, token.revoked, refresh.reuse, code.replay,
  // admin.<operation> (e.g. admin.client.create).
  std::string event = {};
  std::string client_id = {};
  std::string subject = {};
  std::string grant_id = {};
  std::string source_address = {};
  std::string detail = {};  // e.g. the grant type, or the admin operation's target
};

// Where security events go. Thread-safe.
class AuditLog {
 public:
  virtual ~AuditLog() = default;
  virtual void Record(const AuditEvent& event) = 0;
};

// Drops every event (tests, and callers that do not audit).
class NullAuditLog final : public AuditLog {
 public:
  void Record(const AuditEvent&) override {}
};

// One JSON object per line on `out` (not owned; flushed per line):
//   {"time":"2026-11-29T18:00:00.123Z","event":"login.failure",
//    "client_id":"app","source_address":"203.0.113.7"}
// Empty fields are left out. Thread-safe: lines never interleave.
class JsonLinesAuditLog final : public AuditLog {
 public:
  JsonLinesAuditLog(std::FILE* out, Clock clock) : out_(out), clock_(std::move(clock)) {}
  void Record(const AuditEvent& event) override;

 private:
  std::FILE* const out_;
  const Clock clock_;
  absl::Mutex mu_;
};

// The line JsonLinesAuditLog writes for `event` at `time`, without "\n".
std::string AuditLine(const AuditEvent& event, absl::Time time);

}  // namespace oauthd

#endif  // OAUTHD_SERVER_CORE_AUDIT_LOG_H_
