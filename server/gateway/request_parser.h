#ifndef OAUTHD_SERVER_GATEWAY_REQUEST_PARSER_H_
#define OAUTHD_SERVER_GATEWAY_REQUEST_PARSER_H_

// The HTTP/1.1 request parser as every gateway connection sets it up. One
// function, so that tests/fuzz/http_request_fuzz.cc parses raw bytes exactly
// the way HttpServer does.

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>

namespace oauthd::gateway {

using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// Applies the server's limits to a fresh parser: a request head (request
// line and header fields) over `max_header_bytes` fails with
// http::error::header_limit (answered 431), a body over `max_body_bytes`
// with http::error::body_limit (answered 413, checked against Content-Length
// before the body is read).
void ConfigureRequestParser(RequestParser& parser, size_t max_body_bytes,
                            size_t max_header_bytes);

}  // namespace oauthd::gateway

#endif  // OAUTHD_SERVER_GATEWAY_REQUEST_PARSER_H_
