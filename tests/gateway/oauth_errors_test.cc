#include "server/gateway/oauth_errors.h"

#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"

namespace oauthd::gateway {
namespace {

grpc::Status StatusWithDetails(grpc::StatusCode code, const oauth::v1::OAuthError& error) {
  google::rpc::Status rich;
  rich.set_code(code);
  rich.set_message("text that must never be parsed");
  rich.add_details()->PackFrom(error);
  return grpc::Status(code, "text that must never be parsed", rich.SerializeAsString());
}

TEST(OAuthErrorFromGrpcStatusTest, ReadsTypedDetails) {
  oauth::v1::OAuthError sent = MakeOAuthError("invalid_grant", "code expired");
  sent.set_redirect_uri("https://app/cb");
  sent.set_state("xyz");
  auto error = OAuthErrorFromGrpcStatus(StatusWithDetails(grpc::INVALID_ARGUMENT, sent));
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->error(), "invalid_grant");
  EXPECT_EQ(error->error_description(), "code expired");
  EXPECT_EQ(error->redirect_uri(), "https://app/cb");
  EXPECT_EQ(error->state(), "xyz");
}

TEST(OAuthErrorFromGrpcStatusTest, NothingWithoutDetails) {
  EXPECT_FALSE(OAuthErrorFromGrpcStatus(grpc::Status::OK).has_value());
  EXPECT_FALSE(
      OAuthErrorFromGrpcStatus(grpc::Status(grpc::INVALID_ARGUMENT, "invalid_grant")).has_value());
  EXPECT_FALSE(
      OAuthErrorFromGrpcStatus(grpc::Status(grpc::INTERNAL, "x", "not a proto\xff")).has_value());
  google::rpc::Status other;
  other.add_details()->PackFrom(google::rpc::Status());  // wrong type in details[0]
  EXPECT_FALSE(
      OAuthErrorFromGrpcStatus(grpc::Status(grpc::INTERNAL, "x", other.SerializeAsString()))
          .has_value());
}

TEST(ErrorForFailedRpcTest, ChannelFailuresAreTemporarilyUnavailable) {
  for (grpc::StatusCode code : {grpc::UNAVAILABLE, grpc::DEADLINE_EXCEEDED, grpc::CANCELLED}) {
    EXPECT_EQ(ErrorForFailedRpc(grpc::Status(code, "down")).error(), "temporarily_unavailable");
  }
  EXPECT_EQ(ErrorForFailedRpc(grpc::Status(grpc::UNIMPLEMENTED, "x")).error(), "server_error");
  EXPECT_EQ(ErrorForFailedRpc(grpc::Status(grpc::INTERNAL, "secret detail")).error_description(),
            "the authorization server failed");
}

TEST(ErrorForFailedRpcTest, LoadSheddingIsTemporarilyUnavailable) {
  const oauth::v1::OAuthError error =
      ErrorForFailedRpc(grpc::Status(grpc::RESOURCE_EXHAUSTED, "queue full"));
  EXPECT_EQ(error.error(), "temporarily_unavailable");
  EXPECT_EQ(error.error_description(), "the authorization server is overloaded; retry later");
  EXPECT_EQ(MapOAuthErrorToHttp(error.error(), ErrorAudience::kOAuthClient, false).status, 503);
}

TEST(ErrorForFailedRpcTest, TypedErrorWinsOverTheCode) {
  auto status = StatusWithDetails(grpc::UNAVAILABLE, MakeOAuthError("invalid_scope", "no"));
  EXPECT_EQ(ErrorForFailedRpc(status).error(), "invalid_scope");
}

TEST(ErrorForRejectedRequestTest, MapsStatusCodes) {
  EXPECT_EQ(ErrorForRejectedRequest(absl::UnauthenticatedError("bad")).error(), "invalid_client");
  oauth::v1::OAuthError e = ErrorForRejectedRequest(absl::InvalidArgumentError("dup"));
  EXPECT_EQ(e.error(), "invalid_request");
  EXPECT_EQ(e.error_description(), "dup");
}

struct MappingCase {
  const char* error;
  ErrorAudience audience;
  bool used_header;
  int status;
  bool www_authenticate;
};

TEST(MapOAuthErrorToHttpTest, Table) {
  const MappingCase cases[] = {
      {"invalid_request", ErrorAudience::kOAuthClient, false, 400, false},
      {"invalid_client", ErrorAudience::kOAuthClient, true, 401, true},
      {"invalid_client", ErrorAudience::kOAuthClient, false, 401, false},
      {"invalid_client", ErrorAudience::kBrowser, false, 400, false},
      {"invalid_grant", ErrorAudience::kOAuthClient, true, 400, false},
      {"unauthorized_client", ErrorAudience::kOAuthClient, false, 400, false},
      {"unsupported_grant_type", ErrorAudience::kOAuthClient, false, 400, false},
      {"invalid_scope", ErrorAudience::kOAuthClient, false, 400, false},
      {"unsupported_token_type", ErrorAudience::kOAuthClient, false, 400, false},
      {"invalid_target", ErrorAudience::kOAuthClient, false, 400, false},
      {"access_denied", ErrorAudience::kBrowser, false, 400, false},
      {"temporarily_unavailable", ErrorAudience::kOAuthClient, true, 503, false},
      {"temporarily_unavailable", ErrorAudience::kBrowser, false, 503, false},
      {"server_error", ErrorAudience::kOAuthClient, false, 500, false},
  };
  for (const MappingCase& c : cases) {
    const HttpErrorMapping m = MapOAuthErrorToHttp(c.error, c.audience, c.used_header);
    EXPECT_EQ(m.status, c.status) << c.error;
    EXPECT_EQ(m.www_authenticate_basic, c.www_authenticate) << c.error;
  }
}

TEST(SanitizeErrorDescriptionTest, KeepsOnlyTheRfcCharacterSet) {
  EXPECT_EQ(SanitizeErrorDescription("scope \"admin\" is not allowed"),
            "scope 'admin' is not allowed");
  EXPECT_EQ(SanitizeErrorDescription("a\\b\nc\x7f"), "a/b c ");
  EXPECT_EQ(SanitizeErrorDescription("RFC 6749 \xc2\xa7"
                                     "5.2 \xf0\x9f\x98\x80!"),
            "RFC 6749 ?5.2 ?!");
  EXPECT_EQ(SanitizeErrorDescription("plain ASCII ~!#[]"), "plain ASCII ~!#[]");
}

TEST(OAuthErrorJsonTest, OmitsEmptyMembers) {
  EXPECT_EQ(OAuthErrorJson(MakeOAuthError("invalid_grant", "")), R"({"error":"invalid_grant"})");
  oauth::v1::OAuthError e = MakeOAuthError("invalid_scope", "scope \"x\" unknown");
  e.set_error_uri("https://docs/e");
  e.set_redirect_uri("https://not-in-json");
  EXPECT_EQ(OAuthErrorJson(e),
            R"({"error":"invalid_scope","error_description":"scope 'x' unknown",)"
            R"("error_uri":"https://docs/e"})");
}

}  // namespace
}  // namespace oauthd::gateway
