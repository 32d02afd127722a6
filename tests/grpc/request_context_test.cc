// Who may name the caller's address (oauthd-source-address): local peers,
// and oauthd's own in-process HTTP endpoints, which prove themselves with
// the per-process key (gRPC calls an in-process peer just "unknown").

#include "server/grpc/request_context.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace oauthd::grpc_api {
namespace {

using Metadata = std::multimap<grpc::string_ref, grpc::string_ref>;

TEST(RequestContextTest, LocalPeersAreBelieved) {
  const Metadata none;
  EXPECT_TRUE(BelievesForwardedAddress("ipv4:127.0.0.1:5123", none));
  EXPECT_TRUE(BelievesForwardedAddress("ipv6:[::1]:5123", none));
  EXPECT_TRUE(BelievesForwardedAddress("unix:/run/oauthd/grpc.sock", none));
  EXPECT_FALSE(BelievesForwardedAddress("ipv4:10.0.0.7:5123", none));
  EXPECT_FALSE(BelievesForwardedAddress("ipv6:[2001:db8::1]:5123", none));
}

TEST(RequestContextTest, AnUnknownPeerNeedsTheInProcessKey) {
  EXPECT_FALSE(BelievesForwardedAddress("unknown", Metadata{}));
  const std::string& key = InProcessCallKey();
  ASSERT_EQ(key.size(), 64u);
  std::string wrong = key;
  wrong[10] = wrong[10] == 'a' ? 'b' : 'a';
  const std::string shorter = key.substr(1);
  EXPECT_FALSE(BelievesForwardedAddress("unknown", Metadata{{kInProcessMetadata, wrong}}));
  EXPECT_FALSE(BelievesForwardedAddress("unknown", Metadata{{kInProcessMetadata, shorter}}));
  EXPECT_FALSE(BelievesForwardedAddress("unknown", Metadata{{kInProcessMetadata, ""}}));
  EXPECT_TRUE(BelievesForwardedAddress("unknown", Metadata{{kInProcessMetadata, key}}));
  // The key, not the transport, decides: a remote caller that knew it would
  // be believed, which is why it never leaves the process.
  EXPECT_TRUE(BelievesForwardedAddress("ipv4:10.0.0.7:5123", Metadata{{kInProcessMetadata, key}}));
}

TEST(RequestContextTest, TheKeyIsStableWithinAProcess) {
  EXPECT_EQ(&InProcessCallKey(), &InProcessCallKey());
  EXPECT_EQ(InProcessCallKey().find_first_not_of("0123456789abcdef"), std::string::npos);
}

}  // namespace
}  // namespace oauthd::grpc_api
