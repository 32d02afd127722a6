#ifndef OAUTHD_SERVER_GRPC_ACCESS_LOG_H_
#define OAUTHD_SERVER_GRPC_ACCESS_LOG_H_

// oauthd's access log (--access_log): one JSON object per finished RPC, one
// line each, e.g.
//   {"time":"2026-11-29T21:40:00.123Z","method":"oauth.v1.TokenService/IssueToken",
//    "grant_type":"client_credentials","client_id":"c_x","code":"OK","error":"",
//    "latency_ms":1.25,"peer":"ipv4:127.0.0.1:51324","source_address":"127.0.0.1"}
// It never holds a secret: no client secret, password, token, code, code
// verifier or admin token is read into an entry (rpc_observer.cc takes only
// the fields listed here from the request). Security events with more
// detail (who logged in, which grant was revoked) are in the audit log.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace oauthd::grpc_api {

struct AccessLogEntry {
  absl::Time time;               // when the call finished
  absl::string_view method;      // "oauth.v1.TokenService/IssueToken"
  absl::string_view grant_type;  // "" where none applies
  absl::string_view client_id;   // as the caller named itself; "" if none
  absl::string_view code;        // gRPC status code name ("OK", "UNAUTHENTICATED")
  absl::string_view error;       // OAuth error code, "" on success
  absl::Duration latency;        // from the call's start to its status
  absl::string_view peer;        // gRPC peer ("ipv4:10.0.0.7:5123", "unix:...")
  // The caller's address as oauthd uses it (the gateway's
  // oauthd-source-address for local calls), "" when unknown.
  absl::string_view source_address;
};

// The line for `entry`, without the trailing newline.
std::string FormatAccessLogLine(const AccessLogEntry& entry);

// Appends lines to a file or standard output. Each line goes out in one
// write(2) on a descriptor opened with O_APPEND, so lines from concurrent
// calls never interleave and no lock is shared between requests.
// Thread-safe.
class AccessLog {
 public:
  // "-": standard output; anything else: a file appended to (created with
  // mode 0640). UNAVAILABLE naming the file when it cannot be opened.
  static absl::StatusOr<std::unique_ptr<AccessLog>> Open(const std::string& where);
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  void Write(const AccessLogEntry& entry);

 private:
  AccessLog(int fd, bool owned) : fd_(fd), owned_(owned) {}
  const int fd_;
  const bool owned_;
};

}  // namespace oauthd::grpc_api

#endif  // OAUTHD_SERVER_GRPC_ACCESS_LOG_H_
