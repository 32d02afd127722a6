// Keys and secrets that rotate live (issue 14, item 4), against a real oauthd
// and Redis:
// - the key file is replaced while oauthd runs, the way Kubernetes updates a
//   mounted Secret (a symlink swap): the new key is in the JWKS at once,
//   signs only after --key_publish_delay, and the old key stays published
//   until its last token expired; `GetSigningKeys` tells the schedule;
// - RotateClientSecret keeps the previous secret valid for the overlap, then
//   it stops.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "server/core/random.h"
#include "server/jose/base64url.h"
#include "server/jose/key_generation.h"
#include "server/jose/signing_key.h"
#include "tests/integration/oauthd_process.h"

namespace oauthd::testing {
namespace {

using ::testing::HasSubstr;

std::string NewPem() { return *jose::GeneratePrivateKeyPem(jose::Algorithm::kEs256); }
std::string KidOf(const std::string& pem) { return jose::SigningKey::FromPem(pem)->kid(); }

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::trunc);
  out << content;
}

// A directory laid out like a mounted Kubernetes Secret:
//   dir/key.pem -> ..data/key.pem,  dir/..data -> ..<version>/
// Update writes a new version directory and re-points ..data atomically.
class SecretVolume {
 public:
  explicit SecretVolume(const std::string& pem) {
    dir_ = absl::StrCat(test_support::TestTempDir(), "/secret-", RandomToken(6));
    mkdir(dir_.c_str(), 0700);
    Publish(pem);
    symlink("..data/key.pem", (dir_ + "/key.pem").c_str());
  }
  void Update(const std::string& pem) {
    const std::string old = version_;
    Publish(pem);
    // The old version goes, as the kubelet removes it.
    std::remove((dir_ + "/" + old + "/key.pem").c_str());
    rmdir((dir_ + "/" + old).c_str());
  }
  std::string key_path() const { return dir_ + "/key.pem"; }

 private:
  void Publish(const std::string& pem) {
    version_ = absl::StrCat("..v", ++count_);
    mkdir((dir_ + "/" + version_).c_str(), 0700);
    WriteFile(dir_ + "/" + version_ + "/key.pem", pem);
    symlink(version_.c_str(), (dir_ + "/..data_tmp").c_str());
    rename((dir_ + "/..data_tmp").c_str(), (dir_ + "/..data").c_str());
  }
  std::string dir_, version_;
  int count_ = 0;
};

class KeyRotationTest : public ::testing::Test {
 protected:
  std::vector<std::string> JwksKids() {
    oauth::v1::GetJwksResponse jwks;
    EXPECT_TRUE(oauthd_->tokens().GetJwks(oauthd_->Context().get(), {}, &jwks).ok());
    std::vector<std::string> kids;
    for (const auto& k : jwks.keys()) kids.push_back(k.kid());
    std::sort(kids.begin(), kids.end());
    return kids;
  }

  // Mints a client_credentials token; returns the kid in its header.
  std::string SigningKid(oauth::v1::TokenResponse* out = nullptr) {
    oauth::v1::IssueTokenRequest r;
    *r.mutable_client() = client_;
    r.mutable_client_credentials();
    oauth::v1::TokenResponse token;
    grpc::Status s = oauthd_->tokens().IssueToken(oauthd_->Context().get(), r, &token);
    EXPECT_TRUE(s.ok()) << s.error_message();
    if (out != nullptr) *out = token;
    std::vector<std::string> parts = absl::StrSplit(token.access_token(), '.');
    if (parts.size() != 3) return "";
    const std::string header = *jose::Base64UrlDecode(parts[0]);
    const size_t at = header.find("\"kid\":\"");
    if (at == std::string::npos) return "";
    return header.substr(at + 7, header.find('"', at + 7) - at - 7);
  }

  bool Active(const std::string& token) {
    oauth::v1::IntrospectRequest r;
    *r.mutable_client() = client_;
    r.set_token(token);
    oauth::v1::IntrospectResponse info;
    EXPECT_TRUE(oauthd_->tokens().Introspect(oauthd_->Context().get(), r, &info).ok());
    return info.active();
  }

  oauth::admin::v1::GetSigningKeysResponse Status() {
    oauth::admin::v1::GetSigningKeysResponse status;
    grpc::Status s =
        oauthd_->admin().GetSigningKeys(oauthd_->Context(true).get(), {}, &status);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return status;
  }

  std::unique_ptr<OauthdProcess> oauthd_;
  oauth::v1::ClientAuthentication client_;
};

TEST_F(KeyRotationTest, AKeyReplacedInPlaceIsPublishedAtOnceSignsAfterTheDelayAndTheOldOneStaysUntilItsTokensExpired) {
  const std::string pem_a = NewPem(), pem_b = NewPem();
  const std::string kid_a = KidOf(pem_a), kid_b = KidOf(pem_b);
  SecretVolume volume(pem_a);
  constexpr absl::Duration kDelay = absl::Seconds(4);
  OauthdOptions options;
  options.flags = {"--signing_keys=" + volume.key_path(), "--key_publish_delay=4s",
                   "--key_reload_interval=1s", "--access_token_ttl=3s"};
  auto started = OauthdProcess::Start(options);
  ASSERT_TRUE(started.ok()) << started.status();
  oauthd_ = *std::move(started);
  oauth::admin::v1::Client c;
  c.add_grant_types("client_credentials");
  auto client = oauthd_->CreateClient(c);
  ASSERT_TRUE(client.ok()) << client.status();
  client_ = *client;

  EXPECT_EQ(JwksKids(), std::vector<std::string>{kid_a});
  EXPECT_EQ(SigningKid(), kid_a);
  auto status = Status();
  ASSERT_EQ(status.keys_size(), 1);
  EXPECT_EQ(status.keys(0).state(), "signing");
  EXPECT_EQ(status.keys(0).file(), volume.key_path());
  EXPECT_EQ(status.publish_delay_seconds(), 4);

  volume.Update(pem_b);
  // Published at the next reload (1 s).
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (JwksKids().size() < 2 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(50));
  const absl::Time seen_published = absl::Now();
  std::vector<std::string> both = {kid_a, kid_b};
  std::sort(both.begin(), both.end());
  ASSERT_EQ(JwksKids(), both);
  // ... but A still signs.
  oauth::v1::TokenResponse last_of_a;
  EXPECT_EQ(SigningKid(&last_of_a), kid_a);
  status = Status();
  ASSERT_EQ(status.keys_size(), 2);
  EXPECT_EQ(status.keys(0).kid(), kid_a);
  EXPECT_EQ(status.keys(0).state(), "signing");
  EXPECT_EQ(status.keys(1).kid(), kid_b);
  EXPECT_EQ(status.keys(1).state(), "next");
  EXPECT_EQ(status.keys(1).signs_from() - status.keys(1).published_since(), 4);

  // B signs once the delay has passed, not before.
  std::string signer = kid_a;
  deadline = absl::Now() + absl::Seconds(15);
  while (absl::Now() < deadline) {
    oauth::v1::TokenResponse token;
    signer = SigningKid(&token);
    if (signer != kid_a) break;
    last_of_a = token;
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_EQ(signer, kid_b);
  // Published at most ~0.1 s before we saw it; allow for that and a slow box.
  EXPECT_GE(absl::Now() - seen_published, kDelay - absl::Milliseconds(1500));

  // A is retiring: still published, its last token still verifies.
  ASSERT_EQ(JwksKids(), both);
  EXPECT_TRUE(Active(last_of_a.access_token()));
  status = Status();
  ASSERT_EQ(status.keys_size(), 2);
  EXPECT_EQ(status.keys(0).kid(), kid_b);
  EXPECT_EQ(status.keys(0).state(), "signing");
  EXPECT_EQ(status.keys(1).state(), "retiring");
  EXPECT_GT(status.keys(1).published_until(), absl::ToUnixSeconds(absl::Now()));

  // Gone once A's last token expired (3 s) plus the margin (the delay, 4 s).
  deadline = absl::Now() + absl::Seconds(20);
  while (JwksKids().size() > 1 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(JwksKids(), std::vector<std::string>{kid_b});
  EXPECT_GE(absl::Now(), absl::FromUnixSeconds(status.keys(1).published_until()) -
                             absl::Seconds(1));
  EXPECT_EQ(SigningKid(), kid_b);

  // A broken update (not a key) changes nothing and says so once.
  volume.Update("not a key\n");
  absl::SleepFor(absl::Seconds(2));
  EXPECT_EQ(JwksKids(), std::vector<std::string>{kid_b});
  EXPECT_EQ(SigningKid(), kid_b);
  EXPECT_THAT(oauthd_->output(), HasSubstr("the signing keys in use stay"));
  EXPECT_THAT(oauthd_->output(), HasSubstr(absl::StrCat("signing key ", kid_b, " signs from now on")));
}

class SecretRotationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    OauthdOptions options;
    options.flags = {"--previous_secret_ttl=2s"};
    auto started = OauthdProcess::Start(options);
    ASSERT_TRUE(started.ok()) << started.status();
    oauthd_ = *std::move(started);
    oauth::admin::v1::Client c;
    c.add_grant_types("client_credentials");
    auto client = oauthd_->CreateClient(c);
    ASSERT_TRUE(client.ok()) << client.status();
    old_ = *client;
  }

  grpc::StatusCode Token(const oauth::v1::ClientAuthentication& auth) {
    oauth::v1::IssueTokenRequest r;
    *r.mutable_client() = auth;
    r.mutable_client_credentials();
    oauth::v1::TokenResponse token;
    return oauthd_->tokens().IssueToken(oauthd_->Context().get(), r, &token).error_code();
  }

  oauth::admin::v1::CreateClientResponse Rotate(std::optional<int64_t> ttl_seconds) {
    oauth::admin::v1::RotateClientSecretRequest r;
    r.set_client_id(old_.client_id());
    if (ttl_seconds) r.set_previous_secret_ttl_seconds(*ttl_seconds);
    oauth::admin::v1::CreateClientResponse rotated;
    grpc::Status s = oauthd_->admin().RotateClientSecret(oauthd_->Context(true).get(), r, &rotated);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return rotated;
  }

  oauth::v1::ClientAuthentication With(const std::string& secret) {
    auto a = old_;
    a.set_client_secret(secret);
    return a;
  }

  std::unique_ptr<OauthdProcess> oauthd_;
  oauth::v1::ClientAuthentication old_;
};

TEST_F(SecretRotationTest, ThePreviousSecretWorksForTheServerDefaultOverlapThenStops) {
  ASSERT_EQ(Token(old_), grpc::StatusCode::OK);
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  auto rotated = Rotate(std::nullopt);
  EXPECT_GE(rotated.previous_secret_expire_time(), now + 2);
  EXPECT_LE(rotated.previous_secret_expire_time(), now + 4);
  EXPECT_EQ(Token(old_), grpc::StatusCode::OK);
  EXPECT_EQ(Token(With(rotated.client_secret())), grpc::StatusCode::OK);
  absl::SleepFor(absl::Milliseconds(2500));
  EXPECT_EQ(Token(old_), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Token(With(rotated.client_secret())), grpc::StatusCode::OK);
}

TEST_F(SecretRotationTest, APerCallOverlapWinsAndZeroEndsTheOldSecretAtOnce) {
  auto rotated = Rotate(30);
  EXPECT_GE(rotated.previous_secret_expire_time(), absl::ToUnixSeconds(absl::Now()) + 29);
  absl::SleepFor(absl::Milliseconds(2500));  // past the server default
  EXPECT_EQ(Token(old_), grpc::StatusCode::OK);
  auto leaked = Rotate(0);
  EXPECT_EQ(leaked.previous_secret_expire_time(), 0);
  EXPECT_EQ(Token(With(rotated.client_secret())), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Token(old_), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Token(With(leaked.client_secret())), grpc::StatusCode::OK);

  oauth::admin::v1::RotateClientSecretRequest bad;
  bad.set_client_id(old_.client_id());
  bad.set_previous_secret_ttl_seconds(-1);
  oauth::admin::v1::CreateClientResponse out;
  grpc::Status refused = oauthd_->admin().RotateClientSecret(oauthd_->Context(true).get(), bad, &out);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(OAuthErrorOf(refused).error(), "invalid_request");
  EXPECT_EQ(Token(With(leaked.client_secret())), grpc::StatusCode::OK);
}

TEST_F(SecretRotationTest, SecretsAreStoredOnlyHashedInRedis) {
  auto rotated = Rotate(60);
  auto dump = oauthd_->redis().Command({"GET", "oauth:client:" + old_.client_id()});
  ASSERT_TRUE(dump.ok()) << dump.status();
  EXPECT_FALSE(dump->empty());
  EXPECT_EQ(dump->find(old_.client_secret()), std::string::npos);
  EXPECT_EQ(dump->find(rotated.client_secret()), std::string::npos);
}

}  // namespace
}  // namespace oauthd::testing
