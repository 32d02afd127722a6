#include "server/gateway/redirect.h"

#include "server/gateway/form.h"

namespace oauthd::gateway {

std::string AppendQueryParameters(absl::string_view uri, const QueryParameters& parameters) {
  const size_t hash = uri.find('#');
  std::string out(uri.substr(0, hash));
  const size_t question = out.find('?');
  // Separator before the first new parameter: none needed after a bare '?' or
  // a trailing '&'.
  const char* separator = "?";
  if (question != std::string::npos) {
    separator = (out.back() == '?' || out.back() == '&') ? "" : "&";
  }
  for (const auto& [name, value] : parameters) {
    if (value.empty()) continue;
    out += separator;
    out += UrlEncode(name);
    out += '=';
    out += UrlEncode(value);
    separator = "&";
  }
  return out;
}

}  // namespace oauthd::gateway
