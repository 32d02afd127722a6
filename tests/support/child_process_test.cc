#include "tests/support/child_process.h"

#include <signal.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"
#include "tests/support/redis_server.h"

namespace oauthd::test_support {
namespace {

using ::testing::HasSubstr;

std::unique_ptr<ChildProcess> StartOrDie(ChildProcessOptions options) {
  auto child = ChildProcess::Start(options);
  EXPECT_TRUE(child.ok()) << child.status();
  return child.ok() ? *std::move(child) : nullptr;
}

TEST(ChildProcessTest, CapturesOutputExitCodeAndEnvironment) {
  ChildProcessOptions options;
  options.argv = {"sh", "-c", "echo out $GREETING; echo err >&2; pwd; exit 3"};
  options.env = {{"GREETING", "hello world"}};
  options.working_dir = "/";
  auto child = StartOrDie(options);
  ASSERT_NE(child, nullptr);
  auto exit = child->Wait(absl::Seconds(10));
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_FALSE(exit->signaled);
  EXPECT_EQ(exit->exit_code, 3);
  EXPECT_FALSE(exit->Clean());
  const std::string output = child->ReadOutput();
  EXPECT_THAT(output, HasSubstr("out hello world\n"));
  EXPECT_THAT(output, HasSubstr("err\n"));
  EXPECT_THAT(output, HasSubstr("/\n"));
  EXPECT_FALSE(child->Running());
}

TEST(ChildProcessTest, CleanEnvironmentWhenNotInherited) {
  ChildProcessOptions options;
  options.argv = {"/bin/sh", "-c", "echo [$HOME] [$ONLY]"};
  options.inherit_env = false;
  options.env = {{"ONLY", "this"}};
  auto child = StartOrDie(options);
  ASSERT_NE(child, nullptr);
  ASSERT_TRUE(child->Wait(absl::Seconds(10)).ok());
  EXPECT_THAT(child->ReadOutput(), HasSubstr("[] [this]"));
}

TEST(ChildProcessTest, TerminateStopsALongRunningProcess) {
  ChildProcessOptions options;
  options.argv = {"sleep", "30"};
  auto child = StartOrDie(options);
  ASSERT_NE(child, nullptr);
  EXPECT_TRUE(child->Running());
  EXPECT_EQ(child->Wait(absl::Milliseconds(50)).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  const absl::Time start = absl::Now();
  auto exit = child->Terminate(absl::Seconds(5));
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_TRUE(exit->signaled);
  EXPECT_EQ(exit->signal, SIGTERM);
  EXPECT_TRUE(exit->Clean());
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_EQ(child->Signal(SIGTERM).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(ChildProcessTest, TerminateEscalatesToKill) {
  ChildProcessOptions options;
  options.argv = {"sh", "-c", "trap '' TERM; echo ready; sleep 30"};
  auto child = StartOrDie(options);
  ASSERT_NE(child, nullptr);
  // Let the shell install its trap before signalling.
  for (int i = 0; i < 200 && child->ReadOutput().find("ready") == std::string::npos; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  auto exit = child->Terminate(absl::Milliseconds(200));
  ASSERT_TRUE(exit.ok());
  EXPECT_TRUE(exit->signaled);
  EXPECT_EQ(exit->signal, SIGKILL);
}

TEST(ChildProcessTest, DestructorKillsTheProcessGroup) {
  pid_t pid;
  {
    ChildProcessOptions options;
    options.argv = {"sleep", "30"};
    auto child = StartOrDie(options);
    ASSERT_NE(child, nullptr);
    pid = child->pid();
  }
  EXPECT_NE(kill(pid, 0), 0);  // reaped and gone
}

TEST(ChildProcessTest, MissingProgramIsNotFound) {
  ChildProcessOptions options;
  options.argv = {"no-such-program-oauthd"};
  auto child = ChildProcess::Start(options);
  EXPECT_EQ(child.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(child.status().message()), HasSubstr("no-such-program-oauthd"));
  options.argv = {};
  EXPECT_EQ(ChildProcess::Start(options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ChildProcessTest, WaitForTcpPort) {
  auto port = PickUnusedTcpPort();
  ASSERT_TRUE(port.ok()) << port.status();
  EXPECT_EQ(WaitForTcpPort("127.0.0.1", *port, absl::Milliseconds(100)).code(),
            absl::StatusCode::kDeadlineExceeded);

  ChildProcessOptions options;
  options.argv = {"sh", "-c", "echo about to fail; exit 7"};
  auto child = StartOrDie(options);
  ASSERT_NE(child, nullptr);
  absl::Status s = WaitForTcpPort("127.0.0.1", *port, absl::Seconds(10), child.get());
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(s.message()), HasSubstr("exit code 7"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("about to fail"));

  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(*port);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  EXPECT_TRUE(WaitForTcpPort("127.0.0.1", *port, absl::Seconds(1)).ok());
  close(fd);
}

// A report printed by a child fails the test, whether the child exits by
// itself or is killed, and only what this child wrote counts.
TEST(ChildProcessTest, SanitizerReportInAChildFailsTheTest) {
  const std::string log = TestTempDir() + "/sanitizer-report.log";
  unlink(log.c_str());
  ChildProcessOptions options;
  options.output_path = log;
  options.argv = {"sh", "-c",
                  "echo ==================; "
                  "echo 'WARNING: ThreadSanitizer: data race (pid=1)' >&2; exit 0"};
  EXPECT_NONFATAL_FAILURE(
      {
        auto child = StartOrDie(options);
        if (child != nullptr) (void)child->Wait(absl::Seconds(10));
      },
      "WARNING: ThreadSanitizer: data race");
  // The next process appending to the same file starts with a clean slate.
  options.argv = {"sh", "-c", "echo fine"};
  auto clean = StartOrDie(options);
  ASSERT_NE(clean, nullptr);
  ASSERT_TRUE(clean->Wait(absl::Seconds(10)).ok());

  options.output_path = "";
  options.argv = {"sh", "-c",
                  "echo 'x.cc:3:5: runtime error: signed integer overflow' >&2; sleep 30"};
  EXPECT_NONFATAL_FAILURE(
      {
        auto child = StartOrDie(options);
        for (int i = 0; child != nullptr && i < 500 &&
                        child->ReadOutput().find("runtime error") == std::string::npos;
             ++i) {
          absl::SleepFor(absl::Milliseconds(10));
        }
        // Destroyed while running: killed, reaped and scanned.
      },
      "runtime error: signed integer overflow");
}

TEST(ChildProcessTest, FindSanitizerReports) {
  EXPECT_EQ(FindSanitizerReports("listening on 127.0.0.1:1\nshutting down\n"), "");
  EXPECT_EQ(FindSanitizerReports("ok\n==================\nWARNING: ThreadSanitizer: data race\n"
                                 "  Write of size 8\n"),
            "==================\nWARNING: ThreadSanitizer: data race\n  Write of size 8\n");
  EXPECT_EQ(FindSanitizerReports("a\n=1==ERROR: AddressSanitizer: heap-use-after-free\n"),
            "=1==ERROR: AddressSanitizer: heap-use-after-free\n");
  EXPECT_EQ(FindSanitizerReports("a\n=1==ERROR: LeakSanitizer: detected memory leaks\n", 8),
            "=1==ERRO");
}

#ifdef OAUTHD_TSAN_PROBE
// In a ThreadSanitizer build (OAUTHD_SANITIZE=thread): a real data race in a
// child is reported by TSan and fails the test; the same counter guarded by
// an absl::Mutex is not reported, which shows that the instrumented Abseil
// (scripts/deps tsan) is the one loaded, so locks taken in it are seen.
TEST(ChildProcessTest, ThreadSanitizerCatchesARaceInAChild) {
  ChildProcessOptions options;
  options.argv = {OAUTHD_TSAN_PROBE, "race"};
  EXPECT_NONFATAL_FAILURE(
      {
        auto child = StartOrDie(options);
        if (child != nullptr) (void)child->Wait(absl::Seconds(60));
      },
      "WARNING: ThreadSanitizer: data race");
}

TEST(ChildProcessTest, ThreadSanitizerSeesAbseilLocks) {
  ChildProcessOptions options;
  options.argv = {OAUTHD_TSAN_PROBE, "guarded"};
  auto child = StartOrDie(options);
  ASSERT_NE(child, nullptr);
  auto exit = child->Wait(absl::Seconds(60));
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->exit_code, 0) << child->ReadOutput();
}
#endif

TEST(RedisServerTest, StartStopRestartKeepsThePort) {
  auto server = RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();
  EXPECT_EQ(*(*server)->Command({"SET", "k", "v"}), "OK");
  EXPECT_EQ(*(*server)->Command({"GET", "k"}), "v");
  EXPECT_EQ(*(*server)->Command({"GET", "missing"}), "(nil)");
  EXPECT_EQ((*server)->Command({"NOSUCHCOMMAND"}).status().code(),
            absl::StatusCode::kInternal);
  EXPECT_EQ((*server)->url(), absl::StrCat("redis://127.0.0.1:", port));
  ASSERT_TRUE((*server)->Stop().ok());
  EXPECT_FALSE((*server)->running());
  EXPECT_EQ((*server)->Command({"PING"}).status().code(),
            absl::StatusCode::kUnavailable);
  ASSERT_TRUE((*server)->Restart().ok());
  EXPECT_EQ((*server)->port(), port);
  EXPECT_EQ(*(*server)->Command({"PING"}), "PONG");
  EXPECT_EQ(*(*server)->Command({"GET", "k"}), "(nil)");  // nothing persisted
}

TEST(RedisServerTest, MissingBinaryFailsClearly) {
  RedisServerOptions options;
  options.binary = "/nonexistent/redis-server";
  auto server = RedisServer::Start(options);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(server.status().message()), HasSubstr("redis-server"));
}

}  // namespace
}  // namespace oauthd::test_support
