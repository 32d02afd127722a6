// Trusted proxies and the client address from X-Forwarded-For.

#include "server/gateway/source_address.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace oauthd::gateway {
namespace {

namespace ip = boost::asio::ip;

TrustedProxies Trusted(absl::string_view list) {
  absl::StatusOr<TrustedProxies> proxies = TrustedProxies::Parse(list);
  EXPECT_TRUE(proxies.ok()) << proxies.status();
  return proxies.ok() ? *proxies : TrustedProxies();
}

TEST(TrustedProxiesTest, AddressesAndBlocks) {
  const TrustedProxies trusted =
      Trusted(" 10.0.0.0/8, 192.168.1.7 ,2001:db8::/32,::1, 172.16.5.9/12");
  for (const char* yes : {"10.0.0.1", "10.255.255.255", "192.168.1.7", "2001:db8::1",
                          "2001:db8:ffff::", "::1", "::ffff:10.1.2.3", "172.31.0.1"}) {
    EXPECT_TRUE(trusted.Contains(ip::make_address(yes))) << yes;
  }
  for (const char* no : {"11.0.0.1", "192.168.1.8", "2001:db9::1", "::2", "127.0.0.1",
                         "::ffff:11.0.0.1", "172.32.0.1"}) {
    EXPECT_FALSE(trusted.Contains(ip::make_address(no))) << no;
  }
}

TEST(TrustedProxiesTest, EmptyTrustsNobody) {
  const TrustedProxies trusted = Trusted("");
  EXPECT_TRUE(trusted.empty());
  EXPECT_FALSE(trusted.Contains(ip::make_address("127.0.0.1")));
  EXPECT_TRUE(Trusted(" , ").empty());
}

TEST(TrustedProxiesTest, ZeroPrefixTrustsAFamily) {
  const TrustedProxies v4 = Trusted("0.0.0.0/0");
  EXPECT_TRUE(v4.Contains(ip::make_address("203.0.113.1")));
  EXPECT_FALSE(v4.Contains(ip::make_address("2001:db8::1")));
}

TEST(TrustedProxiesTest, BadEntriesAreRefusedByName) {
  for (const char* bad : {"localhost", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1",
                          "10.0.0.0/+8", "1.2.3", "10.0.0.0/8/8", "fe80::1%eth0", "10.0.0.0 /8"}) {
    absl::StatusOr<TrustedProxies> parsed = TrustedProxies::Parse(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find(bad), absl::string_view::npos)
        << parsed.status().message();
  }
}

TEST(ParseForwardedElementTest, Forms) {
  const struct {
    const char* element;
    const char* address;  // nullptr: malformed
  } cases[] = {
      {"203.0.113.7", "203.0.113.7"},
      {" 203.0.113.7 ", "203.0.113.7"},
      {"203.0.113.7:8080", "203.0.113.7"},
      {"2001:db8::1", "2001:db8::1"},
      {"[2001:db8::1]", "2001:db8::1"},
      {"[2001:db8::1]:443", "2001:db8::1"},
      {"::ffff:203.0.113.7", "203.0.113.7"},
      {"2001:DB8:0:0::1", "2001:db8::1"},
      {"", nullptr},
      {"unknown", nullptr},
      {"_hidden", nullptr},
      {"example.com", nullptr},
      {"203.0.113.7:", nullptr},
      {"203.0.113.7:99999", nullptr},
      {"203.0.113.7:+1", nullptr},
      {"[203.0.113.7]", nullptr},
      {"[2001:db8::1", nullptr},
      {"[2001:db8::1]x", nullptr},
      {"203.0.113.7 198.51.100.1", nullptr},
  };
  for (const auto& c : cases) {
    absl::StatusOr<ip::address> parsed = ParseForwardedElement(c.element);
    if (c.address == nullptr) {
      EXPECT_FALSE(parsed.ok()) << c.element;
    } else {
      ASSERT_TRUE(parsed.ok()) << c.element << ": " << parsed.status();
      EXPECT_EQ(SourceAddressText(*parsed), c.address) << c.element;
    }
  }
}

std::string Client(const char* peer, std::vector<absl::string_view> forwarded_for,
                   const TrustedProxies& trusted) {
  return SourceAddressText(ClientAddress(ip::make_address(peer), forwarded_for, trusted));
}

TEST(ClientAddressTest, UntrustedPeerIsTheClientWhateverItSends) {
  const TrustedProxies none;
  EXPECT_EQ(Client("198.51.100.1", {"203.0.113.7"}, none), "198.51.100.1");
  const TrustedProxies trusted = Trusted("10.0.0.0/8");
  EXPECT_EQ(Client("198.51.100.1", {"203.0.113.7"}, trusted), "198.51.100.1");
  EXPECT_EQ(Client("::ffff:198.51.100.1", {}, trusted), "198.51.100.1");
  EXPECT_EQ(Client("2001:db8::5", {"10.0.0.1"}, trusted), "2001:db8::5");
}

TEST(ClientAddressTest, TrustedPeerRightmostUntrustedEntryWins) {
  const TrustedProxies trusted = Trusted("10.0.0.0/8, fd00::/8");
  // The rightmost entry was written by our proxy; the spoofed leftmost one
  // by the client.
  EXPECT_EQ(Client("10.0.0.2", {"1.1.1.1, 198.51.100.9"}, trusted), "198.51.100.9");
  // Trusted hops are skipped.
  EXPECT_EQ(Client("10.0.0.2", {"203.0.113.7, 198.51.100.9, 10.0.0.1"}, trusted), "198.51.100.9");
  EXPECT_EQ(Client("10.0.0.2", {"2001:db8::7, fd00::1"}, trusted), "2001:db8::7");
  EXPECT_EQ(Client("fd00::2", {"[2001:db8::7]:5555"}, trusted), "2001:db8::7");
  // Several header lines are one list, in order.
  EXPECT_EQ(Client("10.0.0.2", {"198.51.100.9", "203.0.113.7, 10.1.1.1"}, trusted), "203.0.113.7");
  // Garbage left of the answer was written by the untrusted client: ignored.
  EXPECT_EQ(Client("10.0.0.2", {"not-an-address, 198.51.100.9"}, trusted), "198.51.100.9");
}

TEST(ClientAddressTest, TrustedPeerFallsBackToItselfOnMissingOrMalformedEntries) {
  const TrustedProxies trusted = Trusted("10.0.0.0/8");
  EXPECT_EQ(Client("10.0.0.2", {}, trusted), "10.0.0.2");
  EXPECT_EQ(Client("10.0.0.2", {""}, trusted), "10.0.0.2");
  EXPECT_EQ(Client("10.0.0.2", {"198.51.100.9, unknown"}, trusted), "10.0.0.2");
  EXPECT_EQ(Client("10.0.0.2", {"198.51.100.9,,10.0.0.1"}, trusted), "10.0.0.2");
  EXPECT_EQ(Client("10.0.0.2", {"198.51.100.9 10.0.0.1"}, trusted), "10.0.0.2");
}

TEST(ClientAddressTest, AllTrustedChainGivesTheLeftmost) {
  const TrustedProxies trusted = Trusted("10.0.0.0/8");
  EXPECT_EQ(Client("10.0.0.2", {"10.9.9.9, 10.0.0.1"}, trusted), "10.9.9.9");
}

TEST(SourceAddressTextTest, CanonicalText) {
  EXPECT_EQ(SourceAddressText(ip::make_address("::ffff:127.0.0.1")), "127.0.0.1");
  EXPECT_EQ(SourceAddressText(ip::make_address("0:0:0:0:0:0:0:1")), "::1");
  EXPECT_EQ(SourceAddressText(ip::make_address("fe80::1%1")), "fe80::1");
}

}  // namespace
}  // namespace oauthd::gateway
