#include "server/grpc/request_context.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cstdlib>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"

namespace oauthd::grpc_api {
namespace {

bool IsIpAddress(const std::string& s) {
  unsigned char buffer[16];
  return inet_pton(AF_INET, s.c_str(), buffer) == 1 || inet_pton(AF_INET6, s.c_str(), buffer) == 1;
}

bool CarriesInProcessKey(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) {
  auto it = metadata.find(kInProcessMetadata);
  if (it == metadata.end()) return false;
  const std::string& key = InProcessCallKey();
  return it->second.size() == key.size() &&
         CRYPTO_memcmp(it->second.data(), key.data(), key.size()) == 0;
}

}  // namespace

const std::string& InProcessCallKey() {
  static const std::string* const key = [] {
    unsigned char random[32];
    // Without randomness the key could be guessed; nothing to fall back to.
    if (RAND_bytes(random, sizeof random) != 1) std::abort();
    static constexpr char kHex[] = "0123456789abcdef";
    auto* hex = new std::string();
    for (unsigned char b : random) {
      hex->push_back(kHex[b >> 4]);
      hex->push_back(kHex[b & 15]);
    }
    return hex;
  }();
  return *key;
}

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
  if (absl::StartsWith(peer, "unix:") || absl::StartsWith(peer, "unix-abstract:")) return true;
  const std::string ip = PeerIp(peer);
  return absl::StartsWith(ip, "127.") || ip == "::1" || absl::StartsWith(ip, "::ffff:127.");
}

bool BelievesForwardedAddress(absl::string_view peer,
                              const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) {
  return IsLocalPeer(peer) || CarriesInProcessKey(metadata);
}

RequestContext ContextOf(const grpc::ServerContextBase& ctx) {
  RequestContext out;
  const std::string peer = ctx.peer();
  out.source_address = PeerIp(peer);
  const auto& metadata = ctx.client_metadata();
  if (!BelievesForwardedAddress(peer, metadata)) return out;
  auto it = metadata.find(kSourceAddressMetadata);
  if (it != metadata.end()) {
    std::string forwarded(it->second.data(), it->second.size());
    if (IsIpAddress(forwarded)) out.source_address = std::move(forwarded);
  }
  return out;
}

}  // namespace oauthd::grpc_api
