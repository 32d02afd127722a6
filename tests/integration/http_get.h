#ifndef OAUTHD_TESTS_INTEGRATION_HTTP_GET_H_
#define OAUTHD_TESTS_INTEGRATION_HTTP_GET_H_

// A plain HTTP/1.1 request over a TCP socket to 127.0.0.1, as a Prometheus
// scraper sends it (tests only).

#include <string>

#include "absl/status/statusor.h"

namespace oauthd::testing {

struct HttpReply {
  int status = 0;
  std::string headers;  // the raw header block, lower-cased names kept as sent
  std::string body;
};

// Sends `method path` with `Connection: close` and reads to EOF.
absl::StatusOr<HttpReply> HttpRequest(int port, const std::string& method,
                                      const std::string& path);

}  // namespace oauthd::testing

#endif  // OAUTHD_TESTS_INTEGRATION_HTTP_GET_H_
