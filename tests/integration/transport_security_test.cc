// oauthd's doors (issue 10): gRPC over TLS and mutual TLS with certificates
// the test makes with the openssl command, rotated certificates picked up
// without a restart, the admin API on its own listener only, reflection off
// unless asked for, and start-up refusals for weak settings.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/lib/channel.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "oauth/admin/v1/admin.grpc.pb.h"
#include "oauth/v1/token.grpc.pb.h"
#include "server/core/random.h"
#include "tests/integration/oauthd_process.h"

namespace oauthd::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Runs a shell command; fails the test with its output when it fails.
void Sh(const std::string& command) {
  const std::string full = command + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(full.c_str()), 0) << command;
}

// A certificate authority and certificates it signs, in `dir`.
class Pki {
 public:
  explicit Pki(std::string dir) : dir_(std::move(dir)) {}

  void MakeCa(const std::string& name) {
    Sh(absl::StrCat("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes",
                    " -days 2 -subj /CN=", name, " -keyout ", Path(name, "key"), " -out ",
                    Path(name, "crt")));
  }

  // A leaf for `name` signed by `ca`; server certificates name localhost
  // and 127.0.0.1.
  void MakeLeaf(const std::string& name, const std::string& ca, bool server) {
    const std::string ext = Path(name, "ext");
    std::ofstream(ext) << (server ? "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                                    "extendedKeyUsage=serverAuth\n"
                                  : "extendedKeyUsage=clientAuth\n");
    Sh(absl::StrCat("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=",
                    name, " -keyout ", Path(name, "key"), " -out ", Path(name, "csr")));
    Sh(absl::StrCat("openssl x509 -req -in ", Path(name, "csr"), " -CA ", Path(ca, "crt"),
                    " -CAkey ", Path(ca, "key"), " -CAcreateserial -days 2 -extfile ", ext,
                    " -out ", Path(name, "crt")));
  }

  std::string Path(const std::string& name, const std::string& ext) const {
    return absl::StrCat(dir_, "/", name, ".", ext);
  }

 private:
  std::string dir_;
};

std::string TempDir() {
  const std::string dir =
      absl::StrCat(test_support::TestTempDir(), "/tls-", RandomToken(6));
  Sh("mkdir -p " + dir);
  return dir;
}

class TransportSecurityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(TempDir());
    pki_ = new Pki(*dir_);
    pki_->MakeCa("ca");
    pki_->MakeCa("other-ca");
    pki_->MakeLeaf("server", "ca", /*server=*/true);
    pki_->MakeLeaf("client", "ca", /*server=*/false);
    pki_->MakeLeaf("stranger", "other-ca", /*server=*/false);
    // Unix socket paths are limited to ~107 bytes: keep it short, in /tmp.
    local_socket_ = new std::string(absl::StrCat("/tmp/oauthd-local-", RandomToken(6), ".sock"));
    OauthdOptions options;
    options.flags = {"--tls_cert=" + pki_->Path("server", "crt"),
                     "--tls_key=" + pki_->Path("server", "key"),
                     "--tls_client_ca=" + pki_->Path("ca", "crt"),
                     "--local_listen=unix:" + *local_socket_};
    auto started = OauthdProcess::Start(options);
    ASSERT_TRUE(started.ok()) << started.status();
    oauthd_ = started->release();
  }
  static void TearDownTestSuite() {
    delete oauthd_;
    if (local_socket_ != nullptr) unlink(local_socket_->c_str());
    delete local_socket_;
    delete pki_;
    delete dir_;
  }

  // GetJwks over a channel made with `options`; its status.
  static grpc::Status CallJwks(const std::string& address, const client::ChannelOptions& options) {
    auto channel = client::NewOauthdChannel(address, options);
    EXPECT_TRUE(channel.ok()) << channel.status();
    if (!channel.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, "no channel");
    auto stub = oauth::v1::TokenService::NewStub(*channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    oauth::v1::GetJwksResponse out;
    return stub->GetJwks(&ctx, oauth::v1::GetJwksRequest(), &out);
  }

  static client::ChannelOptions Mtls(const std::string& client = "client",
                                     const std::string& ca = "ca") {
    client::ChannelOptions o;
    o.tls = true;
    o.ca_file = pki_->Path(ca, "crt");
    o.cert_file = pki_->Path(client, "crt");
    o.key_file = pki_->Path(client, "key");
    o.server_name = "localhost";
    return o;
  }

  static std::string* dir_;
  static std::string* local_socket_;
  static Pki* pki_;
  static OauthdProcess* oauthd_;
};

std::string* TransportSecurityTest::dir_ = nullptr;
std::string* TransportSecurityTest::local_socket_ = nullptr;
Pki* TransportSecurityTest::pki_ = nullptr;
OauthdProcess* TransportSecurityTest::oauthd_ = nullptr;

TEST_F(TransportSecurityTest, MutualTlsWithACertificateOfTheCaIsAccepted) {
  grpc::Status s = CallJwks(oauthd_->address(), Mtls());
  EXPECT_TRUE(s.ok()) << s.error_message() << oauthd_->output();
  EXPECT_THAT(oauthd_->output(), HasSubstr("(mTLS)"));
}

TEST_F(TransportSecurityTest, NoClientCertificateIsRefused) {
  client::ChannelOptions o = Mtls();
  o.cert_file.clear();
  o.key_file.clear();
  EXPECT_EQ(CallJwks(oauthd_->address(), o).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TransportSecurityTest, ACertificateOfAnotherCaIsRefused) {
  EXPECT_EQ(CallJwks(oauthd_->address(), Mtls("stranger")).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TransportSecurityTest, PlaintextIsRefusedWhenTlsIsOn) {
  EXPECT_EQ(CallJwks(oauthd_->address(), client::ChannelOptions()).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TransportSecurityTest, AServerNotSignedByTheTrustedCaIsRefusedByTheClient) {
  EXPECT_EQ(CallJwks(oauthd_->address(), Mtls("client", "other-ca")).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TransportSecurityTest, TheSidecarsLocalListenerIsPlaintextAndPublicServicesOnly) {
  const std::string local = "unix:" + *local_socket_;
  EXPECT_TRUE(CallJwks(local, client::ChannelOptions()).ok()) << oauthd_->output();
  auto channel = client::NewOauthdChannel(local, client::ChannelOptions());
  ASSERT_TRUE(channel.ok());
  auto admin = oauth::admin::v1::AdminService::NewStub(*channel);
  auto ctx = oauthd_->Context(/*admin=*/true);
  oauth::admin::v1::ListClientsResponse out;
  EXPECT_EQ(admin->ListClients(ctx.get(), oauth::admin::v1::ListClientsRequest(), &out)
                .error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
}

// GET `url` with Python's urllib (in the test dependencies); the status, or
// -1 when no HTTP answer came.
int HttpStatus(const std::string& url) {
  const std::string command = absl::StrCat(
      "python3 -c 'import sys, urllib.request, urllib.error\n"
      "try:\n  print(urllib.request.urlopen(sys.argv[1], timeout=5).status)\n"
      "except urllib.error.HTTPError as e:\n  print(e.code)\n"
      "except Exception:\n  print(-1)' ",
      url);
  std::FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return -1;
  char buffer[32] = {0};
  const bool read = std::fgets(buffer, sizeof(buffer), p) != nullptr;
  pclose(p);
  return read ? std::atoi(buffer) : -1;
}

TEST_F(TransportSecurityTest, TheGatewayReachesOauthdOverMutualTls) {
  auto start_gateway = [&](bool with_client_cert, int* port) {
    *port = *test_support::PickUnusedTcpPort();
    test_support::ChildProcessOptions o;
    o.argv = {OAUTH_GATEWAY_BINARY, absl::StrCat("--listen=127.0.0.1:", *port),
              "--upstream=" + oauthd_->address(), "--upstream_tls",
              "--upstream_tls_ca=" + pki_->Path("ca", "crt"),
              "--upstream_tls_server_name=localhost",
              "--issuer=https://issuer.test", "--threads=2"};
    if (with_client_cert) {
      o.argv.push_back("--upstream_tls_cert=" + pki_->Path("client", "crt"));
      o.argv.push_back("--upstream_tls_key=" + pki_->Path("client", "key"));
    }
    auto child = test_support::ChildProcess::Start(o);
    EXPECT_TRUE(child.ok());
    EXPECT_TRUE(test_support::WaitForTcpPort("127.0.0.1", *port, absl::Seconds(20),
                                             child->get())
                    .ok());
    return child;
  };
  int with_port = 0, without_port = 0;
  auto with = start_gateway(true, &with_port);
  auto without = start_gateway(false, &without_port);
  ASSERT_TRUE(with.ok() && without.ok());
  int status = -1;
  for (int i = 0; i < 40 && status != 200; ++i) {  // the first connection may take a moment
    status = HttpStatus(absl::StrCat("http://127.0.0.1:", with_port, "/healthz"));
    if (status != 200) absl::SleepFor(absl::Milliseconds(250));
  }
  EXPECT_EQ(status, 200) << (*with)->ReadOutput();
  EXPECT_EQ(HttpStatus(absl::StrCat("http://127.0.0.1:", with_port,
                                    "/.well-known/oauth-authorization-server")),
            200);
  // Without a client certificate oauthd refuses the handshake: not healthy.
  EXPECT_EQ(HttpStatus(absl::StrCat("http://127.0.0.1:", without_port, "/healthz")), 503);
}

TEST_F(TransportSecurityTest, TheAdminApiIsOnlyOnItsOwnListener) {
  auto channel = client::NewOauthdChannel(oauthd_->address(), Mtls());
  ASSERT_TRUE(channel.ok());
  auto admin = oauth::admin::v1::AdminService::NewStub(*channel);
  auto ctx = oauthd_->Context(/*admin=*/true);
  oauth::admin::v1::ListClientsResponse out;
  grpc::Status on_public = admin->ListClients(ctx.get(), oauth::admin::v1::ListClientsRequest(),
                                              &out);
  EXPECT_EQ(on_public.error_code(), grpc::StatusCode::UNIMPLEMENTED) << on_public.error_message();
  // The harness's admin stub talks to --admin_listen (loopback, plaintext).
  auto ctx2 = oauthd_->Context(/*admin=*/true);
  grpc::Status on_admin =
      oauthd_->admin().ListClients(ctx2.get(), oauth::admin::v1::ListClientsRequest(), &out);
  EXPECT_TRUE(on_admin.ok()) << on_admin.error_message();
}

// Names of the services reflection lists at `address`, or the call's error.
absl::StatusOr<std::vector<std::string>> ListServices(std::shared_ptr<grpc::Channel> channel) {
  auto stub = grpc::reflection::v1alpha::ServerReflection::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  auto stream = stub->ServerReflectionInfo(&ctx);
  grpc::reflection::v1alpha::ServerReflectionRequest request;
  request.set_list_services("*");
  stream->Write(request);
  stream->WritesDone();
  grpc::reflection::v1alpha::ServerReflectionResponse response;
  std::vector<std::string> names;
  while (stream->Read(&response)) {
    for (const auto& s : response.list_services_response().service()) names.push_back(s.name());
  }
  grpc::Status status = stream->Finish();
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        status.error_message());
  }
  return names;
}

TEST_F(TransportSecurityTest, ReflectionIsOffByDefault) {
  auto channel = client::NewOauthdChannel(oauthd_->address(), Mtls());
  ASSERT_TRUE(channel.ok());
  EXPECT_EQ(ListServices(*channel).status().code(), absl::StatusCode::kUnimplemented);
}

TEST(Reflection, WhenTurnedOnItListsTheServicesHealthIncludedButNotTheAdminApi) {
  OauthdOptions options;
  options.flags = {"--reflection"};
  auto oauthd = OauthdProcess::Start(options);
  ASSERT_TRUE(oauthd.ok()) << oauthd.status();
  auto names = ListServices((*oauthd)->channel());
  ASSERT_TRUE(names.ok()) << names.status();
  const std::string all = absl::StrJoin(*names, " ");
  EXPECT_THAT(all, HasSubstr("oauth.v1.TokenService"));
  EXPECT_THAT(all, HasSubstr("grpc.health.v1.Health"));
  EXPECT_THAT(all, HasSubstr("envoy.service.auth.v3.Authorization"));
  EXPECT_THAT(all, ::testing::Not(HasSubstr("oauth.admin.v1.AdminService")));
}

TEST(TlsRotation, ANewCertificateIsServedWithoutARestart) {
  const std::string dir = TempDir();
  Pki pki(dir);
  pki.MakeCa("old-ca");
  pki.MakeCa("new-ca");
  pki.MakeLeaf("old", "old-ca", true);
  pki.MakeLeaf("new", "new-ca", true);
  const std::string cert = dir + "/tls.crt", key = dir + "/tls.key";
  Sh(absl::StrCat("cp ", pki.Path("old", "crt"), " ", cert));
  Sh(absl::StrCat("cp ", pki.Path("old", "key"), " ", key));
  OauthdOptions options;
  options.flags = {"--tls_cert=" + cert, "--tls_key=" + key, "--tls_reload_interval=1s"};
  auto oauthd = OauthdProcess::Start(options);
  ASSERT_TRUE(oauthd.ok()) << oauthd.status();
  auto trusting = [&](const std::string& ca) {
    client::ChannelOptions o;
    o.tls = true;
    o.ca_file = pki.Path(ca, "crt");
    o.server_name = "localhost";
    return o;
  };
  auto jwks = [&](const std::string& ca) {
    auto channel = client::NewOauthdChannel((*oauthd)->address(), trusting(ca));
    auto stub = oauth::v1::TokenService::NewStub(*channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(3)));
    oauth::v1::GetJwksResponse out;
    return stub->GetJwks(&ctx, oauth::v1::GetJwksRequest(), &out).ok();
  };
  EXPECT_TRUE(jwks("old-ca"));
  EXPECT_FALSE(jwks("new-ca"));
  // What cert-manager does: the Secret's files change in place.
  Sh(absl::StrCat("cp ", pki.Path("new", "key"), " ", key, ".tmp && cp ", pki.Path("new", "crt"),
                  " ", cert, ".tmp && mv ", key, ".tmp ", key, " && mv ", cert, ".tmp ", cert));
  bool rotated = false;
  for (int i = 0; i < 40 && !rotated; ++i) {  // polled up to ~20 s; reload runs every 1 s
    rotated = jwks("new-ca");
    if (!rotated) absl::SleepFor(absl::Milliseconds(500));
  }
  EXPECT_TRUE(rotated) << (*oauthd)->output();
  EXPECT_FALSE(jwks("old-ca"));
}

// oauthd refuses to start, with one line naming the problem.
std::string RefusedStart(std::vector<std::string> flags) {
  const std::string dir = TempDir();
  std::ofstream(dir + "/admin.token") << RandomToken(32) << "\n";
  Sh(absl::StrCat("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ", dir,
                  "/key.pem"));
  test_support::ChildProcessOptions o;
  // Its own ports: the defaults may be taken by another test's oauthd, and
  // a taken port is refused before the settings under test are looked at.
  absl::StatusOr<int> port = test_support::PickUnusedTcpPort();
  absl::StatusOr<int> admin_port = test_support::PickUnusedTcpPort();
  EXPECT_TRUE(port.ok() && admin_port.ok());
  if (!port.ok() || !admin_port.ok()) return "";
  o.argv = {OAUTHD_BINARY, "--store=memory", "--admin_token_file=" + dir + "/admin.token",
            "--signing_keys=" + dir + "/key.pem",
            absl::StrCat("--listen=127.0.0.1:", *port),
            absl::StrCat("--admin_listen=127.0.0.1:", *admin_port)};
  // The flags under test come last, so they win.
  o.argv.insert(o.argv.end(), flags.begin(), flags.end());
  auto child = test_support::ChildProcess::Start(o);
  EXPECT_TRUE(child.ok());
  if (!child.ok()) return "";
  auto exit = (*child)->Wait(absl::Seconds(10));
  EXPECT_TRUE(exit.ok());
  EXPECT_FALSE(exit.ok() && exit->Clean());
  return (*child)->ReadOutput();
}

TEST(StartRefusals, WeakOrExposedSettingsStopTheStart) {
  const std::string dir = TempDir();
  std::ofstream(dir + "/weak.token") << "aaaaaaaaaaaaaaaa\n";
  EXPECT_THAT(RefusedStart({"--admin_token_file=" + dir + "/weak.token"}),
              HasSubstr("too weak: it needs at least 32 random bytes"));
  // Raw random bytes, strong enough, but no client could send them as gRPC
  // metadata: the admin API would be unusable (and oauthctl aborted on it).
  std::string raw;
  for (int i = 0; i < 64; ++i) raw.push_back(static_cast<char>(0x80 + (i * 37) % 128));
  std::ofstream(dir + "/raw.token") << raw;
  const std::string refused = RefusedStart({"--admin_token_file=" + dir + "/raw.token"});
  EXPECT_THAT(refused, HasSubstr("has a byte that is not printable ASCII"));
  EXPECT_THAT(refused, Not(HasSubstr(raw.substr(0, 8))));
  EXPECT_THAT(RefusedStart({"--listen=127.0.0.1:7", "--admin_listen=127.0.0.1:7"}),
              HasSubstr("--admin_listen must be its own address"));
  EXPECT_THAT(RefusedStart({"--listen=0.0.0.0:7"}),
              HasSubstr("reachable from other machines: give it TLS"));
  EXPECT_THAT(RefusedStart({"--listen=127.0.0.1:7", "--admin_listen=0.0.0.0:8"}),
              HasSubstr("--admin_listen 0.0.0.0:8 is reachable from other machines"));
  EXPECT_THAT(RefusedStart({"--tls_cert=" + dir + "/missing.crt", "--tls_key=" + dir + "/k"}),
              HasSubstr("cannot read --tls_cert"));
  EXPECT_THAT(RefusedStart({"--tls_client_ca=" + dir + "/ca.crt"}),
              HasSubstr("--tls_client_ca needs --tls_cert"));
  EXPECT_THAT(RefusedStart({"--local_listen=0.0.0.0:9"}),
              HasSubstr("must be unix:/path or a loopback address"));
}

TEST(PasswordGrantSwitch, OffMeansUnsupportedAndAbsentFromTheMetadata) {
  OauthdOptions options;
  options.flags = {"--password_grant=false"};
  auto oauthd = OauthdProcess::Start(options);
  ASSERT_TRUE(oauthd.ok()) << oauthd.status();
  oauth::admin::v1::Client c;
  c.add_grant_types("client_credentials");
  auto client = (*oauthd)->CreateClient(c);
  ASSERT_TRUE(client.ok()) << client.status();
  oauth::v1::IssueTokenRequest request;
  *request.mutable_client() = *client;
  request.mutable_password()->set_username("alice");
  request.mutable_password()->set_password("wonderland");
  oauth::v1::TokenResponse out;
  auto ctx = (*oauthd)->Context();
  grpc::Status s = (*oauthd)->tokens().IssueToken(ctx.get(), request, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("turned off"));
  oauth::v1::ServerMetadata metadata;
  auto ctx2 = (*oauthd)->Context();
  ASSERT_TRUE((*oauthd)
                  ->tokens()
                  .GetServerMetadata(ctx2.get(), oauth::v1::GetServerMetadataRequest(), &metadata)
                  .ok());
  EXPECT_THAT(absl::StrJoin(metadata.grant_types_supported(), " "),
              ::testing::Not(HasSubstr("password")));
  EXPECT_THAT(absl::StrJoin(metadata.grant_types_supported(), " "),
              HasSubstr("client_credentials"));
}

}  // namespace
}  // namespace oauthd::testing
