#ifndef OAUTHD_SERVER_GATEWAY_SOURCE_ADDRESS_H_
#define OAUTHD_SERVER_GATEWAY_SOURCE_ADDRESS_H_

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/address_v6.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace oauthd::gateway {

// The gRPC metadata key under which the gateway tells oauthd the caller's
// address on every RPC. Value: the IP address only (IPv4 dotted quad, IPv6 in
// RFC 5952 text without brackets, port or zone).
inline constexpr char kSourceAddressMetadataKey[] = "oauthd-source-address";

// The set of proxies whose X-Forwarded-For the gateway believes
// (--trusted_proxies): IPv4 and IPv6 addresses and CIDR blocks.
//
// An IPv4-mapped IPv6 address (::ffff:192.0.2.1, what a dual-stack listener
// reports for an IPv4 peer) is matched as the IPv4 address it carries.
//
// Immutable after Parse; thread-safe.
class TrustedProxies {
 public:
  // No proxy trusted: X-Forwarded-For is never read.
  TrustedProxies() = default;

  // Parses a comma-separated list such as "10.0.0.0/8, 192.168.1.7, fd00::/8,
  // ::1". Spaces around entries are ignored; an empty list trusts nobody.
  // Host bits below the prefix length are ignored ("10.1.2.3/8" is 10/8).
  // INVALID_ARGUMENT, naming the entry, for anything that is not an IP
  // address or address/prefix (prefix 0-32 for IPv4, 0-128 for IPv6;
  // host names are not accepted).
  static absl::StatusOr<TrustedProxies> Parse(absl::string_view list);

  // True when `address` lies in one of the configured blocks.
  bool Contains(const boost::asio::ip::address& address) const;

  bool empty() const { return blocks_.empty(); }

 private:
  // Every block is kept in IPv6 form (IPv4 as ::ffff:0:0/96 + prefix).
  struct Block {
    boost::asio::ip::address_v6::bytes_type network;
    int prefix_bits;
  };
  std::vector<Block> blocks_;
};

// `address` without IPv4 mapping (::ffff:192.0.2.1 -> 192.0.2.1) and without
// an IPv6 zone index, the canonical form the gateway compares and reports.
boost::asio::ip::address CanonicalAddress(const boost::asio::ip::address& address);

// Parses one X-Forwarded-For element: an IPv4 or IPv6 address, optionally
// with a port ("192.0.2.1:443", "[2001:db8::1]:443") or in brackets
// ("[2001:db8::1]"), surrounded by optional whitespace. INVALID_ARGUMENT for
// anything else, "unknown" and empty elements included. The result is
// canonical (CanonicalAddress).
absl::StatusOr<boost::asio::ip::address> ParseForwardedElement(absl::string_view element);

// The address of the client a request comes from.
//
// When the TCP peer is not a trusted proxy this is the peer itself, whatever
// X-Forwarded-For says (anyone can send that header). When the peer is a
// trusted proxy, `forwarded_for` (the X-Forwarded-For field values, in the
// order received; several header lines form one list, RFC 9110 §5.3) is read
// from the right: each proxy appends the address it received the request
// from, so the rightmost element was written by the peer itself, and only
// elements written by trusted proxies can be believed. The answer is the
// rightmost element that is not itself a trusted proxy; everything to its
// left was written by that untrusted party (or its own clients) and may be
// forged. When every element is a trusted proxy, the leftmost one. When there
// is no element, or the element that would be chosen (or one to its right)
// is malformed, the peer's address: a misconfigured chain must not let a
// value be picked by chance.
//
// Example (trusted: 10.0.0.0/8, peer 10.0.0.2):
//   "203.0.113.7, 198.51.100.9, 10.0.0.1" -> 198.51.100.9
//   (203.0.113.7 may have been sent by 198.51.100.9 itself.)
boost::asio::ip::address ClientAddress(const boost::asio::ip::address& peer,
                                       const std::vector<absl::string_view>& forwarded_for,
                                       const TrustedProxies& trusted);

// `address` as the metadata value: text form of CanonicalAddress.
std::string SourceAddressText(const boost::asio::ip::address& address);

}  // namespace oauthd::gateway

#endif  // OAUTHD_SERVER_GATEWAY_SOURCE_ADDRESS_H_
