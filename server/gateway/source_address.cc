#include "server/gateway/source_address.h"

#include <boost/system/error_code.hpp>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace oauthd::gateway {

namespace ip = boost::asio::ip;

namespace {

constexpr int kMappedPrefixBits = 96;  // ::ffff:0:0/96

// `address` in IPv6 form: IPv4 as an IPv4-mapped address.
ip::address_v6::bytes_type V6Bytes(const ip::address& address) {
  if (address.is_v4()) return ip::make_address_v6(ip::v4_mapped, address.to_v4()).to_bytes();
  return address.to_v6().to_bytes();
}

bool PrefixMatches(const ip::address_v6::bytes_type& a, const ip::address_v6::bytes_type& b,
                   int prefix_bits) {
  int byte = 0;
  for (; prefix_bits >= 8; prefix_bits -= 8, ++byte) {
    if (a[byte] != b[byte]) return false;
  }
  if (prefix_bits == 0) return true;
  const auto mask = static_cast<unsigned char>(0xff << (8 - prefix_bits));
  return (a[byte] & mask) == (b[byte] & mask);
}

void ClearHostBits(ip::address_v6::bytes_type& bytes, int prefix_bits) {
  for (int bit = prefix_bits; bit < 128; ++bit) {
    bytes[bit / 8] &= static_cast<unsigned char>(~(0x80 >> (bit % 8)));
  }
}

absl::StatusOr<ip::address> ParseAddress(absl::string_view text) {
  boost::system::error_code ec;
  const ip::address address = ip::make_address(std::string(text), ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("not an IP address: ", text));
  return address;
}

}  // namespace

absl::StatusOr<TrustedProxies> TrustedProxies::Parse(absl::string_view list) {
  TrustedProxies proxies;
  for (absl::string_view entry : absl::StrSplit(list, ',')) {
    entry = absl::StripAsciiWhitespace(entry);
    if (entry.empty()) continue;
    absl::string_view address_text = entry;
    absl::string_view prefix_text;
    if (const size_t slash = entry.find('/'); slash != absl::string_view::npos) {
      address_text = entry.substr(0, slash);
      prefix_text = entry.substr(slash + 1);
    }
    absl::StatusOr<ip::address> address = ParseAddress(address_text);
    // A zone index ("fe80::1%eth0") names an interface, not a block.
    if (!address.ok() || (address->is_v6() && address->to_v6().scope_id() != 0)) {
      return absl::InvalidArgumentError(
          absl::StrCat("trusted proxy \"", entry, "\" is not an IP address or CIDR block"));
    }
    const ip::address canonical = CanonicalAddress(*address);
    const int max_bits = canonical.is_v4() ? 32 : 128;
    int bits = max_bits;
    if (!prefix_text.empty() || address_text.size() != entry.size()) {
      if (prefix_text.empty() || !absl::ascii_isdigit(prefix_text.front()) ||
          !absl::SimpleAtoi(prefix_text, &bits) || bits < 0 || bits > max_bits) {
        return absl::InvalidArgumentError(absl::StrCat(
            "trusted proxy \"", entry, "\" has an invalid prefix length (0-", max_bits, ")"));
      }
    }
    Block block{V6Bytes(canonical), canonical.is_v4() ? kMappedPrefixBits + bits : bits};
    ClearHostBits(block.network, block.prefix_bits);
    proxies.blocks_.push_back(block);
  }
  return proxies;
}

bool TrustedProxies::Contains(const ip::address& address) const {
  if (blocks_.empty()) return false;
  const ip::address_v6::bytes_type bytes = V6Bytes(CanonicalAddress(address));
  for (const Block& block : blocks_) {
    if (PrefixMatches(bytes, block.network, block.prefix_bits)) return true;
  }
  return false;
}

ip::address CanonicalAddress(const ip::address& address) {
  if (address.is_v4()) return address;
  ip::address_v6 v6 = address.to_v6();
  if (v6.is_v4_mapped()) return ip::make_address_v4(ip::v4_mapped, v6);
  v6.scope_id(0);
  return v6;
}

absl::StatusOr<ip::address> ParseForwardedElement(absl::string_view element) {
  element = absl::StripAsciiWhitespace(element);
  absl::string_view host = element;
  if (absl::ConsumePrefix(&host, "[")) {
    // "[v6]" or "[v6]:port"
    const size_t close = host.find(']');
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError("unterminated [ in X-Forwarded-For");
    }
    absl::string_view rest = host.substr(close + 1);
    host = host.substr(0, close);
    if (!rest.empty()) {
      int port = 0;
      if (!absl::ConsumePrefix(&rest, ":") || rest.empty() || !absl::ascii_isdigit(rest[0]) ||
          !absl::SimpleAtoi(rest, &port) || port > 65535) {
        return absl::InvalidArgumentError("bad port in X-Forwarded-For");
      }
    }
    absl::StatusOr<ip::address> address = ParseAddress(host);
    if (!address.ok() || !address->is_v6()) {
      return absl::InvalidArgumentError("bad IPv6 address in X-Forwarded-For");
    }
    return CanonicalAddress(*address);
  }
  // A single colon can only be IPv4 with a port; more colons are IPv6.
  if (const size_t colon = host.find(':');
      colon != absl::string_view::npos && host.find(':', colon + 1) == absl::string_view::npos) {
    absl::string_view port_text = host.substr(colon + 1);
    int port = 0;
    if (port_text.empty() || !absl::ascii_isdigit(port_text[0]) ||
        !absl::SimpleAtoi(port_text, &port) || port > 65535) {
      return absl::InvalidArgumentError("bad port in X-Forwarded-For");
    }
    host = host.substr(0, colon);
    absl::StatusOr<ip::address> address = ParseAddress(host);
    if (!address.ok() || !address->is_v4()) {
      return absl::InvalidArgumentError("bad IPv4 address in X-Forwarded-For");
    }
    return *address;
  }
  absl::StatusOr<ip::address> address = ParseAddress(host);
  if (!address.ok()) return address.status();
  return CanonicalAddress(*address);
}

ip::address ClientAddress(const ip::address& peer,
                          const std::vector<absl::string_view>& forwarded_for,
                          const TrustedProxies& trusted) {
  const ip::address canonical_peer = CanonicalAddress(peer);
  if (!trusted.Contains(canonical_peer)) return canonical_peer;
  std::vector<absl::string_view> elements;
  for (absl::string_view value : forwarded_for) {
    for (absl::string_view element : absl::StrSplit(value, ',')) elements.push_back(element);
  }
  std::optional<ip::address> leftmost_trusted;
  for (auto it = elements.rbegin(); it != elements.rend(); ++it) {
    absl::StatusOr<ip::address> address = ParseForwardedElement(*it);
    if (!address.ok()) return canonical_peer;
    if (!trusted.Contains(*address)) return *address;
    leftmost_trusted = *address;
  }
  return leftmost_trusted.value_or(canonical_peer);
}

std::string SourceAddressText(const ip::address& address) {
  return CanonicalAddress(address).to_string();
}

}  // namespace oauthd::gateway
