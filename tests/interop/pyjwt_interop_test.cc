// Tokens from a real oauthd verify with PyJWT (Debian's python3-jwt) against
// the JWKS oauthd publishes, for every signing algorithm.

#include <gtest/gtest.h>

#include <fstream>

#include "google/protobuf/util/json_util.h"
#include "tests/integration/oauthd_process.h"

#ifndef PYJWT_SCRIPT
#error "PYJWT_SCRIPT must name verify_with_pyjwt.py"
#endif

namespace oauthd::testing {
namespace {

class PyJwtInterop : public ::testing::TestWithParam<jose::Algorithm> {};

TEST_P(PyJwtInterop, TokenVerifiesAgainstPublishedJwks) {
  OauthdOptions process_options;
  process_options.alg = GetParam();
  auto p = OauthdProcess::Start(process_options);
  ASSERT_TRUE(p.ok()) << p.status();
  oauth::admin::v1::Client c;
  c.add_grant_types("client_credentials");
  c.add_allowed_scopes("read");
  c.add_audiences("https://api.test");
  auto client = (*p)->CreateClient(c);
  ASSERT_TRUE(client.ok());

  oauth::v1::IssueTokenRequest r;
  *r.mutable_client() = *client;
  r.mutable_client_credentials()->set_scope("read");
  oauth::v1::TokenResponse token;
  ASSERT_TRUE((*p)->tokens().IssueToken((*p)->Context().get(), r, &token).ok());
  oauth::v1::GetJwksResponse jwks;
  ASSERT_TRUE((*p)->tokens().GetJwks((*p)->Context().get(), {}, &jwks).ok());

  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;  // empty members are left out
  std::string jwks_json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(jwks, &jwks_json, options).ok());
  const std::string dir = test_support::TestTempDir();
  const std::string jwks_path = dir + "/jwks-" + std::string(jose::AlgorithmName(GetParam())) + ".json";
  const std::string token_path = dir + "/token-" + std::string(jose::AlgorithmName(GetParam()));
  std::ofstream(jwks_path) << jwks_json;
  std::ofstream(token_path) << token.access_token();

  test_support::ChildProcessOptions o;
  o.argv = {"/usr/bin/python3", PYJWT_SCRIPT, jwks_path, token_path, "https://issuer.test",
            "https://api.test"};
  auto py = test_support::ChildProcess::Start(o);
  ASSERT_TRUE(py.ok()) << py.status();
  auto exit = (*py)->Wait(absl::Seconds(60));
  ASSERT_TRUE(exit.ok());
  EXPECT_TRUE(exit->Clean()) << (*py)->ReadOutput();
  std::printf("%s", (*py)->ReadOutput().c_str());
}

INSTANTIATE_TEST_SUITE_P(AllAlgorithms, PyJwtInterop,
                         ::testing::Values(jose::Algorithm::kEs256, jose::Algorithm::kRs256,
                                           jose::Algorithm::kEdDsa),
                         [](const auto& info) {
                           return std::string(jose::AlgorithmName(info.param));
                         });

}  // namespace
}  // namespace oauthd::testing
