// The admin-token strength rule oauthd applies at start (issue 10: a
// 16-character token such as "aaaaaaaaaaaaaaaa" used to be accepted).

#include "server/common/secret_strength.h"

#include <gtest/gtest.h>

#include <string>

#include "absl/strings/escaping.h"


namespace oauthd {
namespace {

TEST(SecretStrength, WhatTheDocsTellOperatorsToRunPasses) {
  // head -c 32 /dev/urandom | base64, hex of 32 bytes, two UUIDs.
  EXPECT_GE(EstimatedSecretBits("q3Zp0vJ8kR5m2YtW9xL4nB7cH1sD6fG0aE3uI8oK2lM="),
            kMinAdminTokenBits);
  EXPECT_GE(EstimatedSecretBits(
                "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
            kMinAdminTokenBits);
  EXPECT_GE(EstimatedSecretBits(
                "3b241101-e2bb-4255-8caf-4136c566a962a1b2c3d4-e5f6-4789-9abc-def012345678"),
            kMinAdminTokenBits);
}

TEST(SecretStrength, ShortOrRepetitiveTokensFail) {
  for (const char* weak : {"aaaaaaaaaaaaaaaa", "0123456789abcdef",
                           "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                           "abcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabc",
                           // 24 random bytes in base64: 192 bits
                           "pX3k9Vb2Qm7Lr5Tz8Wc1Ny4Hs6Jd0Fg2"}) {
    EXPECT_LT(EstimatedSecretBits(weak), kMinAdminTokenBits) << weak;
  }
  // 32 hex digits are only 16 bytes.
  EXPECT_LT(EstimatedSecretBits("9f86d081884c7d659a2feaa0c55ad015"), kMinAdminTokenBits);
}

TEST(SecretStrength, OnlyPrintableAsciiCanBeSentAsMetadata) {
  EXPECT_TRUE(IsPrintableAscii("pX3k9Vb2Qm7Lr5Tz8Wc1Ny4Hs6Jd0Fg2+/=_-~ !"));
  EXPECT_TRUE(IsPrintableAscii(""));
  for (const std::string& bad : {std::string("ab\x01"), std::string("tab\there"),
                                std::string("del\x7f"), std::string("caf\xc3\xa9"),
                                std::string("nul\0x", 5)}) {
    EXPECT_FALSE(IsPrintableAscii(bad)) << absl::CEscape(bad);
  }
}

}  // namespace
}  // namespace oauthd
