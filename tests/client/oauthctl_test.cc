// oauthctl against a real oauthd (and Redis): every command family, the
// human and --json output, exit codes, Unix socket addresses.

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "oauth/admin/v1/admin.pb.h"
#include "oauth/v1/token.pb.h"
#include "server/core/random.h"
#include "server/jose/key_generation.h"
#include "tests/integration/oauthd_process.h"
#include "tests/support/child_process.h"

#ifndef OAUTHCTL_BINARY
#error "OAUTHCTL_BINARY must name the oauthctl executable"
#endif

namespace oauthd::client {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Runs oauthctl with `args` (stdin /dev/null, no OAUTHCTL_* environment but
// `env`, entries "NAME=value").
Result Oauthctl(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
  const std::string base =
      absl::StrCat(test_support::TestTempDir(), "/oauthctl-", RandomToken(6));
  std::vector<std::string> argv_storage = {OAUTHCTL_BINARY};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) {
    if (!absl::StartsWith(*e, "OAUTHCTL_")) env_storage.push_back(*e);
  }
  env_storage.insert(env_storage.end(), env.begin(), env.end());
  std::vector<char*> envp;
  for (std::string& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);
  const std::string out_path = base + ".out", err_path = base + ".err";
  const pid_t pid = fork();
  if (pid == 0) {
    const int in = open("/dev/null", O_RDONLY);
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  Result result;
  int status = 0;
  if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  }
  result.out = ReadFile(out_path);
  result.err = ReadFile(err_path);
  return result;
}

template <typename Message>
Message ParseJson(const std::string& json) {
  Message message;
  auto status = google::protobuf::util::JsonStringToMessage(json, &message);
  EXPECT_TRUE(status.ok()) << status.ToString() << "\n" << json;
  return message;
}

class OauthctlTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto process = oauthd::testing::OauthdProcess::Start();
    ASSERT_TRUE(process.ok()) << process.status();
    oauthd_ = process->release();
  }
  static void TearDownTestSuite() {
    delete oauthd_;
    oauthd_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(oauthd_, nullptr);
    // The harness writes the admin token next to the signing key.
    const std::string& key = oauthd_->key_path();
    admin_token_file_ = key.substr(0, key.rfind('/')) + "/admin.token";
    struct stat st;
    ASSERT_EQ(stat(admin_token_file_.c_str(), &st), 0) << admin_token_file_;
  }

  // oauthctl with --address, --admin_address and --admin_token_file for the
  // test's oauthd.
  Result Run(std::vector<std::string> args) {
    args.insert(args.begin(), {"--address=" + oauthd_->address(),
                               "--admin_address=" + oauthd_->admin_address(),
                               "--admin_token_file=" + admin_token_file_});
    return Oauthctl(args);
  }

  // Creates a client the way other scripts do; returns {client_id, secret}.
  oauth::admin::v1::CreateClientResponse CreateClient(
      const std::string& grant_types = "client_credentials",
      std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"client", "create", "--name=oauthctl test",
                                     "--grant_types=" + grant_types,
                                     "--scopes=read,write", "--auth_method=client_secret_basic",
                                     "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    Result r = Run(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return ParseJson<oauth::admin::v1::CreateClientResponse>(r.out);
  }

  static oauthd::testing::OauthdProcess* oauthd_;
  std::string admin_token_file_;
};

oauthd::testing::OauthdProcess* OauthctlTest::oauthd_ = nullptr;

TEST_F(OauthctlTest, ClientCreateJsonAndHumanOutput) {
  oauth::admin::v1::CreateClientResponse created = CreateClient();
  EXPECT_FALSE(created.client().client_id().empty());
  EXPECT_FALSE(created.client_secret().empty());
  EXPECT_EQ(created.client().client_name(), "oauthctl test");

  Result human = Run({"client", "create", "--name=Billing service", "--scopes=read,write",
                      "--audiences=inventory"});
  ASSERT_EQ(human.exit_code, 0) << human.err;
  EXPECT_THAT(human.out, HasSubstr("name:               Billing service"));
  EXPECT_THAT(human.out, HasSubstr("allowed scopes:     read write"));
  EXPECT_THAT(human.out, HasSubstr("client_secret:"));
  EXPECT_THAT(human.out, HasSubstr("not shown again"));
  EXPECT_THAT(human.out, Not(HasSubstr("{")));  // not JSON

  Result get = Run({"client", "get", created.client().client_id()});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_THAT(get.out, HasSubstr(created.client().client_id()));
  EXPECT_THAT(get.out, Not(HasSubstr("client_secret:")));

  Result list = Run({"client", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr("CLIENT_ID"));
  EXPECT_THAT(list.out, HasSubstr(created.client().client_id()));
}

// Ids and tokens chosen elsewhere may start with '-': "--" ends the flags.
TEST_F(OauthctlTest, OperandStartingWithADashAfterDoubleDash) {
  const std::string id = "-dash-" + RandomToken(6);
  ASSERT_EQ(CreateClient("client_credentials", {"--id=" + id}).client().client_id(), id);
  Result get = Run({"client", "get", "--", id});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_THAT(get.out, HasSubstr(id));
  Result deleted = Run({"client", "delete", "--", id});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_EQ(Run({"client", "get", "--", id}).exit_code, 1);
}

TEST_F(OauthctlTest, ClientUpdateChangesOnlyTheGivenFields) {
  const std::string id =
      CreateClient("client_credentials", {"--audiences=inventory"}).client().client_id();
  Result update = Run({"client", "update", id, "--name=Renamed"});
  ASSERT_EQ(update.exit_code, 0) << update.err;
  auto client = ParseJson<oauth::admin::v1::Client>(Run({"--json", "client", "get", id}).out);
  EXPECT_EQ(client.client_name(), "Renamed");
  EXPECT_THAT(client.allowed_scopes(), ::testing::ElementsAre("read", "write"));
  EXPECT_THAT(client.audiences(), ::testing::ElementsAre("inventory"));

  ASSERT_EQ(Run({"client", "update", id, "--scopes=read"}).exit_code, 0);
  client = ParseJson<oauth::admin::v1::Client>(Run({"--json", "client", "get", id}).out);
  EXPECT_THAT(client.allowed_scopes(), ::testing::ElementsAre("read"));
  EXPECT_EQ(client.client_name(), "Renamed");

  EXPECT_EQ(Run({"client", "update", id}).exit_code, 2);  // nothing to change

  Result rotated = Run({"--json", "client", "rotate-secret", id});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  EXPECT_FALSE(
      ParseJson<oauth::admin::v1::CreateClientResponse>(rotated.out).client_secret().empty());
  Result deleted = Run({"client", "delete", id});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_THAT(deleted.out, HasSubstr("deleted client " + id));
  EXPECT_EQ(Run({"client", "get", id}).exit_code, 1);
}

TEST_F(OauthctlTest, TokenIntrospectRevoke) {
  auto client = CreateClient();
  const std::vector<std::string> creds = {"--client_id=" + client.client().client_id(),
                                          "--client_secret=" + client.client_secret()};
  std::vector<std::string> args = {"token", "--scope=read", "--json"};
  args.insert(args.end(), creds.begin(), creds.end());
  Result token = Run(args);
  ASSERT_EQ(token.exit_code, 0) << token.err;
  const std::string access = ParseJson<oauth::v1::TokenResponse>(token.out).access_token();
  ASSERT_FALSE(access.empty());

  args = {"token", "--scope=read"};
  args.insert(args.end(), creds.begin(), creds.end());
  Result human = Run(args);
  ASSERT_EQ(human.exit_code, 0) << human.err;
  EXPECT_THAT(human.out, HasSubstr("access_token: ey"));
  EXPECT_THAT(human.out, HasSubstr("expires_in:   600 s"));

  args = {"introspect", access};
  args.insert(args.end(), creds.begin(), creds.end());
  Result active = Run(args);
  ASSERT_EQ(active.exit_code, 0) << active.err;
  EXPECT_THAT(active.out, HasSubstr("active:     true"));
  EXPECT_THAT(active.out, HasSubstr("scope:      read"));

  args = {"revoke", access};
  args.insert(args.end(), creds.begin(), creds.end());
  Result revoke = Run(args);
  ASSERT_EQ(revoke.exit_code, 0) << revoke.err;
  EXPECT_EQ(revoke.out, "revoked\n");

  args = {"introspect", access, "--json"};
  args.insert(args.end(), creds.begin(), creds.end());
  Result inactive = Run(args);
  ASSERT_EQ(inactive.exit_code, 0) << inactive.err;
  EXPECT_EQ(inactive.out, "{\"active\":false}\n");
}

TEST_F(OauthctlTest, UsersAndPasswordAndRefreshGrants) {
  const std::string user = "alice-" + RandomToken(4);
  Result created = Run({"user", "create", user, "--password=correct horse battery"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_THAT(created.out, HasSubstr("username: " + user));
  EXPECT_THAT(created.out, HasSubstr("status:   enabled"));
  EXPECT_THAT(Run({"user", "list"}).out, HasSubstr(user));
  EXPECT_THAT(Run({"user", "get", user}).out, HasSubstr("subject:"));

  auto client = CreateClient("password,refresh_token");
  const std::vector<std::string> creds = {"--client_id=" + client.client().client_id(),
                                          "--client_secret=" + client.client_secret()};
  std::vector<std::string> args = {"token", "--grant=password", "--username=" + user,
                                   "--password=correct horse battery", "--scope=read", "--json"};
  args.insert(args.end(), creds.begin(), creds.end());
  Result token = Run(args);
  ASSERT_EQ(token.exit_code, 0) << token.err;
  const auto response = ParseJson<oauth::v1::TokenResponse>(token.out);
  ASSERT_FALSE(response.refresh_token().empty());

  args = {"token", "--grant=refresh_token", "--refresh_token=" + response.refresh_token(),
          "--json"};
  args.insert(args.end(), creds.begin(), creds.end());
  Result refreshed = Run(args);
  ASSERT_EQ(refreshed.exit_code, 0) << refreshed.err;
  EXPECT_FALSE(ParseJson<oauth::v1::TokenResponse>(refreshed.out).access_token().empty());

  // No password and no terminal to ask on: a usage error, nothing sent.
  args = {"token", "--grant=password", "--username=" + user};
  args.insert(args.end(), creds.begin(), creds.end());
  EXPECT_EQ(Run(args).exit_code, 2);

  Result disabled = Run({"user", "disable", user});
  ASSERT_EQ(disabled.exit_code, 0) << disabled.err;
  EXPECT_THAT(disabled.out, HasSubstr("status:   disabled"));
  EXPECT_THAT(Run({"user", "enable", user}).out, HasSubstr("status:   enabled"));
  EXPECT_EQ(Run({"user", "set-password", user, "--password=another long password"}).exit_code,
            0);
  EXPECT_THAT(Run({"user", "delete", user}).out, HasSubstr("deleted user " + user));
  EXPECT_EQ(Run({"user", "get", user}).exit_code, 1);
}

// Issue 10: operators can see and clear a user's login limits.
TEST_F(OauthctlTest, UserGetShowsLoginLimitsAndUnlockClearsThem) {
  ASSERT_EQ(Run({"user", "create", "lockme", "--password=long enough pw"}).exit_code, 0);
  const oauth::admin::v1::CreateClientResponse app = CreateClient("password");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Run({"token", "--grant=password", "--client_id=" + app.client().client_id(),
                   "--client_secret=" + app.client_secret(), "--username=lockme",
                   "--password=wrong"})
                  .exit_code,
              1);
  }
  Result get = Run({"user", "get", "lockme"});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_THAT(get.out, HasSubstr("logins"));
  EXPECT_THAT(get.out, HasSubstr("3 of 100 unsuccessful attempts"));
  Result unlocked = Run({"user", "unlock", "lockme"});
  ASSERT_EQ(unlocked.exit_code, 0) << unlocked.err;
  EXPECT_THAT(unlocked.out, HasSubstr("0 of 100 unsuccessful attempts"));
  EXPECT_EQ(Run({"user", "unlock", "nobody-here"}).exit_code, 1);
}

TEST_F(OauthctlTest, ExitCodes) {
  Result usage = Run({"frobnicate"});
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_THAT(usage.err, HasSubstr("unknown command"));
  EXPECT_EQ(Run({"client", "get"}).exit_code, 2);

  Result refused = Run({"token", "--client_id=nobody", "--client_secret=wrong"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("invalid_client"));
  Result refused_json = Run({"token", "--client_id=nobody", "--client_secret=wrong", "--json"});
  EXPECT_EQ(refused_json.exit_code, 1);
  EXPECT_THAT(refused_json.err, HasSubstr("\"error\":\"invalid_client\""));

  absl::StatusOr<int> port = test_support::PickUnusedTcpPort();
  ASSERT_TRUE(port.ok());
  Result unreachable =
      Oauthctl({absl::StrCat("--address=127.0.0.1:", *port), "--timeout=2s", "jwks"});
  EXPECT_EQ(unreachable.exit_code, 3) << unreachable.err;

  Result no_admin = Oauthctl({"--address=" + oauthd_->address(),
                              "--admin_address=" + oauthd_->admin_address(), "client", "list"});
  EXPECT_EQ(no_admin.exit_code, 2);
  EXPECT_THAT(no_admin.err, HasSubstr("--admin_token_file"));
}

// oauthd's fields are UTF-8 text (proto3 strings): a value that is not was
// sent anyway, oauthd could not parse the request, and oauthctl printed
// "oauthctl:  (gRPC code 12)". Now it is a usage error naming the flag or
// operand, never echoing the value, and nothing is sent.
TEST_F(OauthctlTest, ValuesThatAreNotUtf8AreUsageErrors) {
  const std::string latin1 = "caf\xe9";
  Result name = Run({"client", "create", "--name=" + latin1});
  EXPECT_EQ(name.exit_code, 2) << name.err;
  EXPECT_THAT(name.err, HasSubstr("--name is not valid UTF-8"));
  EXPECT_THAT(name.err, Not(HasSubstr(latin1)));

  Result secret = Run({"token", "--client_id=c", "--client_secret=s" + latin1});
  EXPECT_EQ(secret.exit_code, 2) << secret.err;
  EXPECT_THAT(secret.err, HasSubstr("--client_secret is not valid UTF-8"));
  EXPECT_THAT(secret.err, Not(HasSubstr(latin1)));

  Result from_env = Oauthctl({"--address=" + oauthd_->address(), "token", "--client_secret=s"},
                             {"OAUTHCTL_CLIENT_ID=" + latin1});
  EXPECT_EQ(from_env.exit_code, 2) << from_env.err;
  EXPECT_THAT(from_env.err, HasSubstr("--client_id is not valid UTF-8"));

  Result operand = Run({"user", "get", latin1});
  EXPECT_EQ(operand.exit_code, 2) << operand.err;
  EXPECT_THAT(operand.err, HasSubstr("USERNAME is not valid UTF-8"));

  // Nothing was created.
  EXPECT_THAT(Run({"client", "list"}).out, Not(HasSubstr("caf")));

  // File names are bytes: one that is not UTF-8 is looked for, not refused.
  Result file = Oauthctl({"keys", "jwks", "/nonexistent/" + latin1 + ".pem"});
  EXPECT_THAT(file.err, HasSubstr("cannot open"));
  EXPECT_THAT(file.err, Not(HasSubstr("UTF-8")));
}

// gRPC refuses metadata with a control byte, and a client that adds it
// aborts, logging the value: an admin token file with one was a crash that
// printed the token. Now it is a usage error that names the file only.
TEST_F(OauthctlTest, AnAdminTokenThatCannotBeSentIsAUsageError) {
  const std::string file = absl::StrCat(test_support::TestTempDir(), "/ctl-", RandomToken(4));
  std::ofstream(file) << "secret-part-one\x01secret-part-two\n";
  Result r = Oauthctl({"--address=" + oauthd_->address(),
                       "--admin_address=" + oauthd_->admin_address(),
                       "--admin_token_file=" + file, "client", "list"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("has a byte that is not printable ASCII"));
  EXPECT_THAT(r.err, HasSubstr(file));
  EXPECT_THAT(r.err, Not(HasSubstr("secret-part")));
}

TEST_F(OauthctlTest, KeysAndJwks) {
  const std::string pem = absl::StrCat(test_support::TestTempDir(), "/ed-", RandomToken(4), ".pem");
  Result generated = Oauthctl({"keys", "generate", "--alg=EdDSA", "--out=" + pem});
  ASSERT_EQ(generated.exit_code, 0) << generated.err;
  EXPECT_THAT(generated.out, HasSubstr("wrote EdDSA key"));
  struct stat st;
  ASSERT_EQ(stat(pem.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  EXPECT_EQ(Oauthctl({"keys", "generate", "--alg=EdDSA", "--out=" + pem}).exit_code, 2);
  EXPECT_EQ(Oauthctl({"keys", "generate", "--alg=EdDSA", "--force", "--out=" + pem}).exit_code,
            0);
  EXPECT_EQ(Oauthctl({"keys", "generate", "--alg=HS256", "--out=" + pem + "2"}).exit_code, 2);

  Result local = Oauthctl({"keys", "jwks", pem});
  ASSERT_EQ(local.exit_code, 0) << local.err;
  EXPECT_THAT(local.out, HasSubstr("\"kty\":\"OKP\""));

  Result server = Run({"jwks"});
  ASSERT_EQ(server.exit_code, 0) << server.err;
  EXPECT_THAT(server.out, HasSubstr("ES256"));
  EXPECT_THAT(server.out, HasSubstr("KID"));
  auto jwks = ParseJson<oauth::v1::GetJwksResponse>(Run({"--json", "jwks"}).out);
  ASSERT_EQ(jwks.keys_size(), 1);
  EXPECT_EQ(jwks.keys(0).crv(), "P-256");
}

// oauthd on a Unix socket (memory store: this is about addressing).
TEST_F(OauthctlTest, UnixSocketAddress) {
  const std::string dir = test_support::TestTempDir();
  const std::string key = dir + "/unix-key.pem";
  {
    absl::StatusOr<std::string> pem = jose::GeneratePrivateKeyPem(jose::Algorithm::kEs256);
    ASSERT_TRUE(pem.ok());
    std::ofstream(key) << *pem;
  }
  const std::string socket = absl::StrCat("/tmp/oauthctl-test-", getpid(), ".sock");
  unlink(socket.c_str());
  test_support::ChildProcessOptions options;
  options.argv = {OAUTHD_BINARY, "--listen=unix:" + socket,
                  "--admin_listen=unix:" + socket + ".admin", "--store=memory",
                  "--signing_keys=" + key, "--issuer=https://issuer.test"};
  auto oauthd = test_support::ChildProcess::Start(options);
  ASSERT_TRUE(oauthd.ok()) << oauthd.status();
  Result result;
  for (int i = 0; i < 200; ++i) {  // up to ~10 s for the socket to answer
    result = Oauthctl({"--address=unix:" + socket, "--timeout=1s", "jwks"});
    if (result.exit_code == 0) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(result.exit_code, 0) << result.err << (*oauthd)->ReadOutput();
  EXPECT_THAT(result.out, HasSubstr("P-256"));
  EXPECT_TRUE((*oauthd)->Terminate().ok());
  unlink(socket.c_str());
  unlink((socket + ".admin").c_str());
}

// Issue 14: each command accepts only its own flags. `--scope` belongs to
// `token`; on `client create` it used to create a client with no scopes.
TEST_F(OauthctlTest, AnotherCommandsFlagIsRefusedWithTheClosestName) {
  const int before = ParseJson<oauth::admin::v1::ListClientsResponse>(
                         Run({"--json", "client", "list", "--page_size=1000"}).out)
                         .clients_size();
  Result r = Run({"client", "create", "--name=typo", "--scope=read"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("--scope is not a flag of client create (did you mean --scopes?)"));
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;  // one line
  EXPECT_EQ(r.out, "");
  const int after = ParseJson<oauth::admin::v1::ListClientsResponse>(
                        Run({"--json", "client", "list", "--page_size=1000"}).out)
                        .clients_size();
  EXPECT_EQ(after, before);  // nothing created

  Result unknown = Run({"client", "list", "--page_sise=5"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("unknown flag --page_sise (did you mean --page_size?)"));
  Result wrong_place = Run({"jwks", "--client_id=x"});
  EXPECT_EQ(wrong_place.exit_code, 2);
  EXPECT_THAT(wrong_place.err, HasSubstr("--client_id is not a flag of jwks"));
}

// Issue 14: usage errors exit 2, as the README says (an unknown flag used to
// exit 1), with one line on stderr.
TEST_F(OauthctlTest, UsageErrorsExitTwoWithOneLine) {
  const std::vector<std::vector<std::string>> cases = {
      {"client", "get", "--frobnicate"},      // unknown flag
      {"token", "--client_id=x", "--timeout=5"},  // a duration without a unit
      {"client", "list", "--page_size=many"},  // not a number
      {"client", "get", "a", "b"},             // one operand too many
      {"client", "crete"},                     // unknown command
      {"tokn"},                                // unknown command
      {"client"},                              // family without a command
      {"help", "client", "nope"},              // help on nothing
  };
  for (const auto& args : cases) {
    Result r = Oauthctl(args);
    EXPECT_EQ(r.exit_code, 2) << absl::StrJoin(args, " ") << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << absl::StrJoin(args, " ") << ": "
                                                               << r.err;
  }
  EXPECT_THAT(Oauthctl({"token", "--client_id=x", "--timeout=5"}).err,
              HasSubstr("--timeout=5: not a duration; write a number with a unit, e.g. 10m"));
  EXPECT_THAT(Oauthctl({"client", "crete"}).err, HasSubstr("did you mean client create?"));
  EXPECT_THAT(Oauthctl({"tokn"}).err, HasSubstr("did you mean token?"));

  // A misspelt OAUTHCTL_* variable is an error too, naming the right one.
  Result env = Oauthctl({"jwks"}, {"OAUTHCTL_ADRESS=127.0.0.1:1"});
  EXPECT_EQ(env.exit_code, 2) << env.err;
  EXPECT_THAT(env.err, HasSubstr("OAUTHCTL_ADRESS (did you mean OAUTHCTL_ADDRESS?)"));
}

TEST_F(OauthctlTest, PerCommandHelp) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"help", "client", "create"},
        std::vector<std::string>{"client", "create", "--help"},
        std::vector<std::string>{"client", "create", "-h"}}) {
    Result r = Oauthctl(args);
    EXPECT_EQ(r.exit_code, 0) << absl::StrJoin(args, " ") << r.err;
    EXPECT_THAT(r.out, HasSubstr("Usage: oauthctl client create"));
    EXPECT_THAT(r.out, HasSubstr("--scopes=VALUE"));
    EXPECT_THAT(r.out, HasSubstr("separated by commas or spaces"));
    EXPECT_THAT(r.out, Not(HasSubstr("--scope=")));      // token's, not this command's
    EXPECT_THAT(r.out, Not(HasSubstr("--page_size")));  // list's
  }
  Result token = Oauthctl({"help", "token"});
  EXPECT_EQ(token.exit_code, 0);
  EXPECT_THAT(token.out, HasSubstr("--scope=VALUE"));
  EXPECT_THAT(token.out, HasSubstr("--grant=VALUE"));
  Result family = Oauthctl({"user", "--help"});
  EXPECT_EQ(family.exit_code, 0);
  EXPECT_THAT(family.out, HasSubstr("oauthctl user unlock USERNAME"));
  Result overview = Oauthctl({"--help"});
  EXPECT_EQ(overview.exit_code, 0);
  EXPECT_THAT(overview.out, HasSubstr("Exit codes: 0 ok"));
  EXPECT_EQ(Oauthctl({"help"}).out, overview.out);
}

TEST_F(OauthctlTest, DashesAndUnderscoresInFlagNames) {
  Result r = Run({"client", "create", "--name=dashes", "--grant-types=client_credentials",
                  "--scopes=read,write", "--default-scopes=read",
                  "--access-token-ttl-seconds", "300", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto created = ParseJson<oauth::admin::v1::CreateClientResponse>(r.out);
  EXPECT_THAT(created.client().default_scopes(), ::testing::ElementsAre("read"));
  EXPECT_EQ(created.client().access_token_ttl_seconds(), 300);
  Result token = Run({"token", "--client-id=" + created.client().client_id(),
                      "--client-secret", created.client_secret(), "--json"});
  ASSERT_EQ(token.exit_code, 0) << token.err;
  EXPECT_EQ(ParseJson<oauth::v1::TokenResponse>(token.out).scope(), "read");
  Result update = Run({"client", "update", created.client().client_id(), "--no-require-pkce",
                       "--json"});
  ASSERT_EQ(update.exit_code, 0) << update.err;
  EXPECT_FALSE(ParseJson<oauth::admin::v1::Client>(update.out).require_pkce());
}

// Issue 14: --json printed int64 fields as strings ("600").
TEST_F(OauthctlTest, JsonNumbersAreNumbers) {
  Result r = Run({"client", "create", "--name=numbers", "--grant_types=client_credentials",
                  "--scopes=read", "--access_token_ttl_seconds=300", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"access_token_ttl_seconds\":300"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("\"create_time\":[0-9]+[,}]"));
  EXPECT_THAT(r.out, Not(::testing::ContainsRegex(":\"[0-9]+\"")));
  auto created = ParseJson<oauth::admin::v1::CreateClientResponse>(r.out);
  Result token = Run({"token", "--client_id=" + created.client().client_id(),
                      "--client_secret=" + created.client_secret(), "--json"});
  ASSERT_EQ(token.exit_code, 0) << token.err;
  EXPECT_THAT(token.out, HasSubstr("\"expires_in\":300"));
  Result introspect = Run({"introspect", ParseJson<oauth::v1::TokenResponse>(token.out).access_token(),
                           "--client_id=" + created.client().client_id(),
                           "--client_secret=" + created.client_secret(), "--json"});
  ASSERT_EQ(introspect.exit_code, 0) << introspect.err;
  EXPECT_THAT(introspect.out, ::testing::ContainsRegex("\"exp\":[0-9]+[,}]"));
}

// Issue 14: scopes took commas in `client create` and spaces in `token`.
TEST_F(OauthctlTest, ScopesByCommaOrSpaceEverywhere) {
  Result spaces = Run({"client", "create", "--name=spaces", "--grant_types=client_credentials",
                       "--scopes=read write  admin", "--default_scopes=read, write", "--json"});
  ASSERT_EQ(spaces.exit_code, 0) << spaces.err;
  auto created = ParseJson<oauth::admin::v1::CreateClientResponse>(spaces.out);
  EXPECT_THAT(created.client().allowed_scopes(), ::testing::ElementsAre("read", "write", "admin"));
  EXPECT_THAT(created.client().default_scopes(), ::testing::ElementsAre("read", "write"));
  const std::string id = created.client().client_id();
  for (const char* scope : {"read,admin", "read admin", "read, admin"}) {
    Result token = Run({"token", "--client_id=" + id, "--client_secret=" + created.client_secret(),
                        std::string("--scope=") + scope, "--json"});
    ASSERT_EQ(token.exit_code, 0) << scope << ": " << token.err;
    EXPECT_EQ(ParseJson<oauth::v1::TokenResponse>(token.out).scope(), "read admin") << scope;
  }
  ASSERT_EQ(Run({"client", "update", id, "--scopes=read,write"}).exit_code, 0);
  auto client = ParseJson<oauth::admin::v1::Client>(Run({"--json", "client", "get", id}).out);
  EXPECT_THAT(client.allowed_scopes(), ::testing::ElementsAre("read", "write"));
}

}  // namespace
}  // namespace oauthd::client

namespace oauthd::client {
namespace {

TEST_F(OauthctlTest, KeysStatusAndSecretRotationOverlap) {
  Result status = Run({"keys", "status"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_THAT(status.out, HasSubstr("  signing    signs since "));
  Result json = Run({"--json", "keys", "status"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto parsed = ParseJson<oauth::admin::v1::GetSigningKeysResponse>(json.out);
  ASSERT_EQ(parsed.keys_size(), 1);
  EXPECT_EQ(parsed.keys(0).state(), "signing");
  EXPECT_GT(parsed.keys(0).signs_since(), 0);

  const std::string id = CreateClient().client().client_id();
  Result overlap = Run({"client", "rotate-secret", id, "--previous_secret_ttl=10m"});
  ASSERT_EQ(overlap.exit_code, 0) << overlap.err;
  EXPECT_THAT(overlap.out, HasSubstr("previous secret works until "));
  Result ended = Run({"client", "rotate-secret", id, "--previous_secret_ttl=0s"});
  ASSERT_EQ(ended.exit_code, 0) << ended.err;
  EXPECT_THAT(ended.out, HasSubstr("previous secret no longer works"));
}

}  // namespace
}  // namespace oauthd::client
