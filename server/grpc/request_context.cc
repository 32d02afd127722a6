#include "server/grpc/request_context.h"

#include <arpa/inet.h>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"

namespace oauthd::grpc_api {
namespace {

bool IsIpAddress(const std::string& s) {
  unsigned char buffer[16];
  return inet_pton(AF_INET, s.c_str(), buffer) == 1 || inet_pton(AF_INET6, s.c_str(), buffer) == 1;
}

}  // namespace

std::string PeerIp(absl::string_view peer) {
  if (absl::ConsumePrefix(&peer, "ipv4:")) {
    const size_t colon = peer.rfind(':');
    return std::string(peer.substr(0, colon));
  }
  if (absl::ConsumePrefix(&peer, "ipv6:")) {
    const size_t close = peer.find(']');
    if (absl::StartsWith(peer, "[") && close != absl::string_view::npos) {
      return std::string(peer.substr(1, close - 1));
    }
  }
  return "";
}

bool IsLocalPeer(absl::string_view peer) {
  // gRPC's in-process channel: only oauthd's own HTTP endpoints hold one.
  if (absl::StartsWith(peer, "inproc")) return true;
  if (absl::StartsWith(peer, "unix:") || absl::StartsWith(peer, "unix-abstract:")) return true;
  const std::string ip = PeerIp(peer);
  return absl::StartsWith(ip, "127.") || ip == "::1" || absl::StartsWith(ip, "::ffff:127.");
}

RequestContext ContextOf(const grpc::ServerContextBase& ctx) {
  RequestContext out;
  const std::string peer = ctx.peer();
  out.source_address = PeerIp(peer);
  if (!IsLocalPeer(peer)) return out;
  const auto& metadata = ctx.client_metadata();
  auto it = metadata.find(kSourceAddressMetadata);
  if (it != metadata.end()) {
    std::string forwarded(it->second.data(), it->second.size());
    if (IsIpAddress(forwarded)) out.source_address = std::move(forwarded);
  }
  return out;
}

}  // namespace oauthd::grpc_api
