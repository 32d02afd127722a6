#include "server/gateway/request_parser.h"

#include <cstdint>

namespace oauthd::gateway {

void ConfigureRequestParser(RequestParser& parser, size_t max_body_bytes,
                            size_t max_header_bytes) {
  parser.body_limit(max_body_bytes);
  parser.header_limit(static_cast<std::uint32_t>(max_header_bytes));
}

}  // namespace oauthd::gateway
