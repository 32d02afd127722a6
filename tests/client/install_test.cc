// oauth_client as an installed package: `cmake --install` of the
// oauth_client component into a fresh prefix, then client/examples (copied
// out of the tree) configured and built as a separate CMake project with
// find_package(oauth_client CONFIG), and its two programs run against a
// real oauthd: an authorized call succeeds, an under-scoped one is refused.

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/core/random.h"
#include "tests/integration/oauthd_process.h"
#include "tests/support/child_process.h"

#if !defined(OAUTHD_BUILD_DIR) || !defined(OAUTHD_SOURCE_DIR) || !defined(CMAKE_COMMAND)
#error "OAUTHD_BUILD_DIR, OAUTHD_SOURCE_DIR and CMAKE_COMMAND must be defined"
#endif

namespace oauthd::client {
namespace {

using ::testing::HasSubstr;
using test_support::ChildProcess;
using test_support::ChildProcessOptions;

struct Ran {
  int exit_code = -1;
  std::string output;
};

// The environment of the example's programs. In a sanitizer build they are
// instrumented too (the package carries the flags), but unlike the programs
// of this tree they do not have our suppressions compiled in: TSan's
// (tests/support/tsan.supp) or, for these gRPC clients, LeakSanitizer's
// (tests/support/lsan_grpc_clients.cc; the .supp file next to it is the same
// list for a program built elsewhere).
std::vector<std::pair<std::string, std::string>> ExampleEnvironment() {
#if defined(__SANITIZE_THREAD__)
  const char* variable = "TSAN_OPTIONS";
  const char* file = "/tests/support/tsan.supp";
#elif defined(__SANITIZE_ADDRESS__)
  const char* variable = "LSAN_OPTIONS";
  const char* file = "/tests/support/lsan_grpc_clients.supp";
#else
  return {};
#endif
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
  const char* options = getenv(variable);
  return {{variable, absl::StrCat(options != nullptr ? options : "", " suppressions=",
                                  OAUTHD_SOURCE_DIR, file)}};
#endif
}

// Runs `argv` to completion (at most `timeout`) and returns its exit code and
// combined output.
Ran RunProgram(std::vector<std::string> argv, absl::Duration timeout = absl::Minutes(10)) {
  ChildProcessOptions options;
  options.argv = std::move(argv);
  options.env = ExampleEnvironment();
  Ran ran;
  auto child = ChildProcess::Start(options);
  if (!child.ok()) {
    ran.output = child.status().ToString();
    return ran;
  }
  absl::StatusOr<test_support::ExitInfo> exit = (*child)->Wait(timeout);
  ran.output = (*child)->ReadOutput();
  if (exit.ok() && !exit->signaled) ran.exit_code = exit->exit_code;
  return ran;
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

TEST(InstallTest, ExampleBuildsAgainstInstalledPackageAndRuns) {
  namespace fs = std::filesystem;
  const std::string work = absl::StrCat(test_support::TestTempDir(), "/install-", RandomToken(6));
  const std::string prefix = work + "/prefix";
  const std::string example_src = work + "/example-src";
  const std::string example_build = work + "/example-build";
  fs::create_directories(work);

  // 1. Install only the library's component.
  Ran install = RunProgram({CMAKE_COMMAND, "--install", OAUTHD_BUILD_DIR, "--component",
                            "oauth_client", "--prefix", prefix});
  ASSERT_EQ(install.exit_code, 0) << install.output;
  EXPECT_TRUE(Exists(prefix + "/lib/cmake/oauth_client/oauth_clientConfig.cmake"));
  EXPECT_TRUE(Exists(prefix + "/lib/cmake/oauth_client/oauth_clientConfigVersion.cmake"));
  EXPECT_TRUE(Exists(prefix + "/include/oauthd/client/lib/verifier.h"));
  EXPECT_TRUE(Exists(prefix + "/include/oauthd/oauth/v1/token.grpc.pb.h"));
  EXPECT_TRUE(Exists(prefix + "/lib/liboauth_client.a"));
  EXPECT_FALSE(Exists(prefix + "/bin/oauthctl"));  // another component

  // 2. The example, out of the source tree, as its own project.
  fs::copy(std::string(OAUTHD_SOURCE_DIR) + "/client/examples", example_src,
           fs::copy_options::recursive);
  Ran configure = RunProgram({CMAKE_COMMAND, "-S", example_src, "-B", example_build, "-G",
                              "Ninja", "-DCMAKE_BUILD_TYPE=Release",
                              "-DCMAKE_PREFIX_PATH=" + prefix});
  ASSERT_EQ(configure.exit_code, 0) << configure.output;
  Ran build = RunProgram({CMAKE_COMMAND, "--build", example_build, "-j", "2"});
  ASSERT_EQ(build.exit_code, 0) << build.output;
  // Nothing came from the oauthd tree: only the prefix's headers.
  const std::string deps = RunProgram({"ninja", "-C", example_build, "-t", "deps"}).output;
  EXPECT_THAT(deps, HasSubstr(prefix + "/include/oauthd/client/lib/grpc_auth.h"));
  EXPECT_FALSE(absl::StrContains(deps, std::string(OAUTHD_SOURCE_DIR) + "/client/lib"));

  // 3. Run the example against a real oauthd.
  auto oauthd = oauthd::testing::OauthdProcess::Start();
  ASSERT_TRUE(oauthd.ok()) << oauthd.status();
  oauth::admin::v1::Client client;
  client.set_client_name("example client");
  client.add_grant_types("client_credentials");
  client.add_allowed_scopes("inventory.read");
  client.add_allowed_scopes("inventory.write");
  client.add_audiences("inventory");
  auto app = (*oauthd)->CreateClient(client);
  ASSERT_TRUE(app.ok()) << app.status();
  // The resource server introspects as a client registered under its
  // audience name, so it may learn about tokens for it (RFC 7662 §4).
  client.set_client_name("inventory introspection");
  client.set_client_id("inventory");
  auto introspector = (*oauthd)->CreateClient(client);
  ASSERT_TRUE(introspector.ok()) << introspector.status();

  const std::string socket = absl::StrCat("/tmp/oauth-client-install-", getpid(), ".sock");
  unlink(socket.c_str());
  ChildProcessOptions server_options;
  server_options.argv = {example_build + "/inventory_server",
                         "--listen=unix:" + socket,
                         "--oauthd=" + (*oauthd)->address(),
                         "--issuer=https://issuer.test",
                         "--audience=inventory",
                         "--introspection_client_id=" + introspector->client_id(),
                         "--introspection_client_secret=" + introspector->client_secret()};
  server_options.env = ExampleEnvironment();
  auto server = ChildProcess::Start(server_options);
  ASSERT_TRUE(server.ok()) << server.status();
  for (int i = 0; i < 200 && !absl::StrContains((*server)->ReadOutput(), "listening"); ++i) {
    ASSERT_TRUE((*server)->Running()) << (*server)->ReadOutput();
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_THAT((*server)->ReadOutput(), HasSubstr("listening on unix:" + socket));

  const std::vector<std::string> client_args = {
      example_build + "/inventory_client", "--server=unix:" + socket,
      "--oauthd=" + (*oauthd)->address(), "--client_id=" + app->client_id(),
      "--client_secret=" + app->client_secret()};
  std::vector<std::string> put = client_args;
  put.insert(put.end(), {"put", "apple", "3"});
  Ran put_ran = RunProgram(put, absl::Seconds(30));
  EXPECT_EQ(put_ran.exit_code, 0) << put_ran.output;
  EXPECT_THAT(put_ran.output, HasSubstr("apple: 3 (updated by " + app->client_id()));

  std::vector<std::string> get = client_args;
  get.insert(get.end(), {"--scope=inventory.read", "get", "apple"});
  Ran get_ran = RunProgram(get, absl::Seconds(30));
  EXPECT_EQ(get_ran.exit_code, 0) << get_ran.output;

  std::vector<std::string> refused = client_args;
  refused.insert(refused.end(), {"--scope=inventory.read", "put", "apple", "4"});
  Ran refused_ran = RunProgram(refused, absl::Seconds(30));
  EXPECT_EQ(refused_ran.exit_code, 1) << refused_ran.output;
  EXPECT_THAT(refused_ran.output, HasSubstr("insufficient_scope"));

  absl::StatusOr<test_support::ExitInfo> stopped = (*server)->Terminate();
  ASSERT_TRUE(stopped.ok());
  EXPECT_TRUE(stopped->Clean()) << stopped->ToString() << (*server)->ReadOutput();
  unlink(socket.c_str());
  std::error_code ignored;
  fs::remove_all(work, ignored);
}

}  // namespace
}  // namespace oauthd::client
