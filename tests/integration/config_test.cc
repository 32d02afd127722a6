// Issue 14: configuration that fails loudly. The real oauthd and
// oauth-gateway binaries with bad listen addresses, taken ports, misspelt
// environment variables, durations without a unit and issuers that differ:
// each stops the start with exit code 2 (the configuration itself is wrong)
// or 1 (it cannot work here) and exactly one line saying why.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/core/random.h"
#include "server/jose/key_generation.h"
#include "tests/support/child_process.h"

#ifndef OAUTH_GATEWAY_BINARY
#error "OAUTH_GATEWAY_BINARY must name the oauth-gateway executable"
#endif

namespace oauthd::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Outcome {
  int exit_code = -1;
  std::string output;  // stdout and stderr
  size_t Lines() const { return std::count(output.begin(), output.end(), '\n'); }
};

// Runs a binary that is expected to stop by itself within 15 s.
Outcome RunToExit(std::vector<std::string> argv,
                  std::vector<std::pair<std::string, std::string>> env = {}) {
  test_support::ChildProcessOptions o;
  o.argv = std::move(argv);
  o.env = std::move(env);
  auto child = test_support::ChildProcess::Start(o);
  EXPECT_TRUE(child.ok()) << child.status();
  if (!child.ok()) return {};
  auto exit = (*child)->Wait(absl::Seconds(15));
  EXPECT_TRUE(exit.ok()) << "still running:\n" << (*child)->ReadOutput();
  Outcome outcome;
  if (exit.ok()) outcome.exit_code = exit->signaled ? 128 + exit->signal : exit->exit_code;
  outcome.output = (*child)->ReadOutput();
  return outcome;
}

int FreePort() {
  absl::StatusOr<int> port = test_support::PickUnusedTcpPort();
  EXPECT_TRUE(port.ok());
  return port.ok() ? *port : 1;
}

std::string Loopback(int port) { return absl::StrCat("127.0.0.1:", port); }

// A listening TCP socket on 127.0.0.1 held by the test: a port in use.
class HeldPort {
 public:
  HeldPort() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(fd_, 8), 0);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~HeldPort() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

struct HttpAnswer {
  int status = -1;
  std::string body;
};

// One HTTP/1.0 request to 127.0.0.1:port ("" body: GET, else a form POST).
HttpAnswer Http(int port, const std::string& path, const std::string& form = "") {
  HttpAnswer answer;
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return answer;
  }
  const std::string request =
      form.empty()
          ? absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
          : absl::StrCat("POST ", path,
                         " HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: "
                         "application/x-www-form-urlencoded\r\nContent-Length: ",
                         form.size(), "\r\n\r\n", form);
  (void)!write(fd, request.data(), request.size());
  std::string response;
  char buffer[4096];
  for (ssize_t n; (n = read(fd, buffer, sizeof(buffer))) > 0;) response.append(buffer, n);
  close(fd);
  const size_t space = response.find(' ');
  if (space == std::string::npos || !absl::SimpleAtoi(response.substr(space + 1, 3), &answer.status)) {
    return answer;
  }
  const size_t body = response.find("\r\n\r\n");
  if (body != std::string::npos) answer.body = response.substr(body + 4);
  return answer;
}

class ConfigTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    key_ = new std::string(absl::StrCat(test_support::TestTempDir(), "/config-key-",
                                        RandomToken(4), ".pem"));
    absl::StatusOr<std::string> pem = jose::GeneratePrivateKeyPem(jose::Algorithm::kEs256);
    ASSERT_TRUE(pem.ok());
    std::ofstream(*key_) << *pem;
  }
  static void TearDownTestSuite() { delete key_; }

  // oauthd's argv with the memory store, a key and free ports; `extra` last
  // (a later flag wins).
  std::vector<std::string> Oauthd(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {OAUTHD_BINARY, "--store=memory", "--signing_keys=" + *key_,
                                     "--listen=" + Loopback(FreePort()),
                                     "--admin_listen=" + Loopback(FreePort()),
                                     "--issuer=https://oauthd.test"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }

  // A running oauthd (memory store) on `listen`, admin on a free port.
  std::unique_ptr<test_support::ChildProcess> StartOauthd(const std::string& listen,
                                                          const std::string& issuer) {
    test_support::ChildProcessOptions o;
    o.argv = Oauthd({"--listen=" + listen, "--issuer=" + issuer});
    auto child = test_support::ChildProcess::Start(o);
    EXPECT_TRUE(child.ok());
    if (!child.ok()) return nullptr;
    if (!absl::StartsWith(listen, "unix:")) {
      const int port = std::stoi(listen.substr(listen.rfind(':') + 1));
      EXPECT_TRUE(test_support::WaitForTcpPort("127.0.0.1", port, absl::Seconds(20), child->get())
                      .ok())
          << (*child)->ReadOutput();
    } else {
      for (int i = 0; i < 200 && (*child)->ReadOutput().find("listening on") == std::string::npos;
           ++i) {
        absl::SleepFor(absl::Milliseconds(50));
      }
    }
    return *std::move(child);
  }

  static std::string* key_;
};

std::string* ConfigTest::key_ = nullptr;

TEST_F(ConfigTest, OauthdRefusesMalformedListenAddressesWithOneLine) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      // gRPC used to bind port 15264 (80800 mod 65536) for this one,
      {"--listen=127.0.0.1:80800",
       "--listen=127.0.0.1:80800: the port must be a number from 1 to 65535, not \"80800\""},
      // and port 443 for this one.
      {"--listen=localhost", "--listen=localhost: no port; expected host:port, e.g. 127.0.0.1:50051"},
      {"--listen=127.0.0.1:0", "the port must be a number from 1 to 65535, not \"0\""},
      {"--listen=127.0.0.1:http", "the port must be a number from 1 to 65535"},
      {"--listen=::1:50051", "write an IPv6 address in brackets"},
      {"--admin_listen=:50052", "--admin_listen=:50052: no host"},
      {"--admin_listen=127.0.0.1", "--admin_listen=127.0.0.1: no port"},
      {"--local_listen=unix:oauthd.sock", "--local_listen=unix:oauthd.sock: the socket path must be absolute"},
      {"--local_listen=127.0.0.1:99999", "--local_listen=127.0.0.1:99999: the port must be"},
  };
  for (const auto& [flag, expected] : cases) {
    Outcome o = RunToExit(Oauthd({flag}));
    EXPECT_EQ(o.exit_code, 2) << flag << "\n" << o.output;
    EXPECT_THAT(o.output, ::testing::StartsWith("oauthd: " + flag + ": ")) << flag;
    EXPECT_THAT(o.output, HasSubstr(expected)) << flag;
    EXPECT_EQ(o.Lines(), 1) << flag << "\n" << o.output;
  }
}

TEST_F(ConfigTest, SecondOauthdOnATakenPortExitsWithOneLineNamingThePort) {
  const int port = FreePort();
  auto first = StartOauthd(Loopback(port), "https://oauthd.test");
  ASSERT_NE(first, nullptr);
  Outcome second = RunToExit(Oauthd({"--listen=" + Loopback(port)}));
  EXPECT_EQ(second.exit_code, 1) << second.output;
  EXPECT_THAT(second.output,
              HasSubstr(absl::StrCat("oauthd: --listen=127.0.0.1:", port, ": port ", port,
                                     " is already in use")));
  EXPECT_EQ(second.Lines(), 1) << second.output;
  EXPECT_TRUE(first->Running());

  // The admin port too.
  HeldPort held;
  Outcome admin = RunToExit(Oauthd({"--admin_listen=" + Loopback(held.port())}));
  EXPECT_EQ(admin.exit_code, 1) << admin.output;
  EXPECT_THAT(admin.output, HasSubstr(absl::StrCat("--admin_listen=127.0.0.1:", held.port(),
                                                   ": port ", held.port(), " is already in use")));
  EXPECT_EQ(admin.Lines(), 1) << admin.output;
}

// gRPC replaces the file of a unix socket: a second oauthd used to take the
// socket over from a running one.
TEST_F(ConfigTest, SecondOauthdOnALiveUnixSocketExits) {
  const std::string socket = absl::StrCat("/tmp/oauthd-config-", getpid(), ".sock");
  unlink(socket.c_str());
  auto first = StartOauthd("unix:" + socket, "https://oauthd.test");
  ASSERT_NE(first, nullptr);
  Outcome second = RunToExit(Oauthd({"--listen=unix:" + socket}));
  EXPECT_EQ(second.exit_code, 1) << second.output;
  EXPECT_THAT(second.output,
              HasSubstr("--listen=unix:" + socket +
                        ": another process is already listening on this socket"));
  EXPECT_EQ(second.Lines(), 1) << second.output;
  EXPECT_TRUE(first->Running());
  first.reset();
  unlink(socket.c_str());
}

TEST_F(ConfigTest, UnknownVariablesAndFlagsNameTheClosestKnownOne) {
  Outcome env = RunToExit(Oauthd(), {{"OAUTHD_REDIS_ULR", "redis://127.0.0.1:1"}});
  EXPECT_EQ(env.exit_code, 2) << env.output;
  EXPECT_THAT(env.output, HasSubstr("oauthd: unknown environment variable OAUTHD_REDIS_ULR "
                                    "(did you mean OAUTHD_REDIS_URL?)"));
  EXPECT_EQ(env.Lines(), 1) << env.output;

  Outcome link = RunToExit(Oauthd(), {{"OAUTHD_PORT", "tcp://10.0.0.1:50051"}});
  EXPECT_EQ(link.exit_code, 2) << link.output;
  EXPECT_THAT(link.output, HasSubstr("OAUTHD_PORT: it looks like a Kubernetes service link; set "
                                     "enableServiceLinks: false"));

  Outcome flag = RunToExit(Oauthd({"--acess_token_ttl=5m"}));
  EXPECT_EQ(flag.exit_code, 2) << flag.output;
  EXPECT_THAT(flag.output,
              HasSubstr("oauthd: unknown flag --acess_token_ttl (did you mean --access_token_ttl?)"));
  EXPECT_EQ(flag.Lines(), 1) << flag.output;

  Outcome gateway = RunToExit({OAUTH_GATEWAY_BINARY, "--listen=" + Loopback(FreePort())},
                              {{"OAUTH_GATEWAY_UPSTRAEM", "127.0.0.1:1"}});
  EXPECT_EQ(gateway.exit_code, 2) << gateway.output;
  EXPECT_THAT(gateway.output, HasSubstr("oauth-gateway: unknown environment variable "
                                        "OAUTH_GATEWAY_UPSTRAEM (did you mean "
                                        "OAUTH_GATEWAY_UPSTREAM?)"));
  EXPECT_EQ(gateway.Lines(), 1) << gateway.output;
}

TEST_F(ConfigTest, DurationErrorsShowTheExpectedForm) {
  const std::string form = "not a duration; write a number with a unit, e.g. 10m, 30s, 1h30m or 500ms";
  Outcome flag = RunToExit(Oauthd({"--access_token_ttl=10"}));
  EXPECT_EQ(flag.exit_code, 2) << flag.output;
  EXPECT_THAT(flag.output, HasSubstr("oauthd: --access_token_ttl=10: " + form));
  EXPECT_EQ(flag.Lines(), 1) << flag.output;

  Outcome env = RunToExit(Oauthd(), {{"OAUTHD_CODE_TTL", "60"}});
  EXPECT_EQ(env.exit_code, 2) << env.output;
  EXPECT_THAT(env.output, HasSubstr("oauthd: OAUTHD_CODE_TTL=60: " + form));
  EXPECT_EQ(env.Lines(), 1) << env.output;

  Outcome gateway =
      RunToExit({OAUTH_GATEWAY_BINARY, "--listen=" + Loopback(FreePort()), "--rpc_timeout", "3"});
  EXPECT_EQ(gateway.exit_code, 2) << gateway.output;
  EXPECT_THAT(gateway.output, HasSubstr("oauth-gateway: --rpc_timeout 3: " + form));
  EXPECT_EQ(gateway.Lines(), 1) << gateway.output;
}

// --refresh_retry_grace: whole seconds from 0s to 5m, else one line, no start.
TEST_F(ConfigTest, RefreshRetryGraceOutOfRangeIsRefused) {
  for (const char* flag : {"--refresh_retry_grace=-1s", "--refresh_retry_grace=6m",
                           "--refresh_retry_grace=1500ms"}) {
    Outcome o = RunToExit(Oauthd({flag}));
    EXPECT_EQ(o.exit_code, 1) << flag << "\n" << o.output;
    EXPECT_THAT(o.output,
                HasSubstr("--refresh_retry_grace must be whole seconds between 0s and 5m"))
        << flag;
    EXPECT_EQ(o.Lines(), 1) << flag << "\n" << o.output;
  }
}

TEST_F(ConfigTest, GatewayRefusesMalformedListenAddressesAndTakenPorts) {
  for (const auto& [flag, expected] : std::vector<std::pair<std::string, std::string>>{
           {"--listen=127.0.0.1:80800", "the port must be a number from 1 to 65535, not \"80800\""},
           {"--listen=localhost", "--listen=localhost: no port; expected host:port, e.g. 127.0.0.1:8080"},
           {"--listen=:8080", "--listen=:8080: no host"},
           {"--listen=unix:/tmp/gw.sock", "a unix socket is not possible here"},
       }) {
    Outcome o = RunToExit({OAUTH_GATEWAY_BINARY, flag});
    EXPECT_EQ(o.exit_code, 2) << flag << "\n" << o.output;
    EXPECT_THAT(o.output, ::testing::StartsWith("oauth-gateway: " + flag + ": ")) << flag;
    EXPECT_THAT(o.output, HasSubstr(expected)) << flag;
    EXPECT_EQ(o.Lines(), 1) << flag << "\n" << o.output;
  }
  HeldPort held;
  Outcome taken = RunToExit({OAUTH_GATEWAY_BINARY, "--listen=" + Loopback(held.port()),
                             "--upstream=" + Loopback(FreePort())});
  EXPECT_EQ(taken.exit_code, 1) << taken.output;
  EXPECT_THAT(taken.output, HasSubstr(absl::StrCat("oauth-gateway: --listen=127.0.0.1:", held.port(),
                                                   ": port ", held.port(), " is already in use")));
  EXPECT_EQ(taken.Lines(), 1) << taken.output;
}

TEST_F(ConfigTest, GatewayWithAnotherIssuerThanOauthdDoesNotStart) {
  const int grpc = FreePort();
  auto oauthd = StartOauthd(Loopback(grpc), "https://oauthd.test");
  ASSERT_NE(oauthd, nullptr);
  const int http = FreePort();
  Outcome o = RunToExit({OAUTH_GATEWAY_BINARY, "--listen=" + Loopback(http),
                         "--upstream=" + Loopback(grpc),
                         absl::StrCat("--issuer=http://127.0.0.1:", http)});
  EXPECT_EQ(o.exit_code, 1) << o.output;
  EXPECT_THAT(o.output, HasSubstr(absl::StrCat("oauth-gateway: --issuer=http://127.0.0.1:", http,
                                               " differs from oauthd's issuer https://oauthd.test")));
  EXPECT_EQ(o.Lines(), 1) << o.output;
}

// oauthd not up when the gateway starts: /healthz finds the difference, and
// the gateway refuses to serve until the issuers agree.
TEST_F(ConfigTest, GatewayHealthzComparesTheIssuersAndServesOnlyWhenTheyAgree) {
  const int grpc = FreePort();
  const int http = FreePort();
  const std::string issuer = absl::StrCat("http://127.0.0.1:", http);
  test_support::ChildProcessOptions o;
  o.argv = {OAUTH_GATEWAY_BINARY, "--listen=" + Loopback(http), "--upstream=" + Loopback(grpc),
            "--issuer=" + issuer, "--threads=2", "--health_timeout=2s"};
  auto gateway = test_support::ChildProcess::Start(o);
  ASSERT_TRUE(gateway.ok());
  ASSERT_TRUE(
      test_support::WaitForTcpPort("127.0.0.1", http, absl::Seconds(20), gateway->get()).ok())
      << (*gateway)->ReadOutput();

  auto wrong = StartOauthd(Loopback(grpc), "https://oauthd.test");
  ASSERT_NE(wrong, nullptr);
  HttpAnswer health;
  for (int i = 0; i < 100; ++i) {  // until the gateway has reconnected
    health = Http(http, "/healthz");
    if (absl::StrContains(health.body, "differs")) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(health.status, 503) << health.body;
  EXPECT_THAT(health.body, HasSubstr("--issuer=" + issuer +
                                     " differs from oauthd's issuer https://oauthd.test"));
  HttpAnswer metadata = Http(http, "/.well-known/oauth-authorization-server");
  EXPECT_EQ(metadata.status, 503) << metadata.body;
  EXPECT_THAT(metadata.body, HasSubstr("\"error\":\"temporarily_unavailable\""));
  EXPECT_THAT(metadata.body, Not(HasSubstr("token_endpoint")));
  HttpAnswer token = Http(http, "/token", "grant_type=client_credentials");
  EXPECT_EQ(token.status, 503) << token.body;
  EXPECT_THAT(token.body, HasSubstr("differs from oauthd's issuer"));
  EXPECT_EQ(Http(http, "/metrics").status, 200);

  ASSERT_TRUE(wrong->Terminate().ok());
  wrong.reset();
  auto right = StartOauthd(Loopback(grpc), issuer);
  ASSERT_NE(right, nullptr);
  for (int i = 0; i < 100; ++i) {
    health = Http(http, "/healthz");
    if (health.status == 200) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(health.status, 200) << health.body << (*gateway)->ReadOutput();
  metadata = Http(http, "/.well-known/oauth-authorization-server");
  EXPECT_EQ(metadata.status, 200) << metadata.body;
  EXPECT_THAT(metadata.body, HasSubstr("\"issuer\":\"" + issuer + "\""));
  EXPECT_TRUE((*gateway)->Terminate().ok());
}

}  // namespace
}  // namespace oauthd::testing
