#ifndef OAUTHD_TESTS_SUPPORT_CHILD_PROCESS_H_
#define OAUTHD_TESTS_SUPPORT_CHILD_PROCESS_H_

// Test helper: run a real process (redis-server, oauthd, oauth-gateway, ...)
// from a test, capture its output to a file, stop it, wait for its port.
//
// Example:
//   ChildProcessOptions opts;
//   opts.argv = {OAUTHD_BINARY, "--port=" + absl::StrCat(port)};
//   opts.env = {{"OAUTHD_REDIS_URL", redis->url()}};
//   absl::StatusOr<std::unique_ptr<ChildProcess>> oauthd =
//       ChildProcess::Start(opts);
//   ASSERT_TRUE(oauthd.ok()) << oauthd.status();
//   ASSERT_TRUE(WaitForTcpPort("127.0.0.1", port, absl::Seconds(10),
//                              oauthd->get()).ok())
//       << (*oauthd)->ReadOutput();
//   ...
//   absl::StatusOr<ExitInfo> exit = (*oauthd)->Terminate(absl::Seconds(5));
//   EXPECT_TRUE(exit.ok() && exit->Clean()) << exit->ToString();
//
// Lifetime: the destructor SIGKILLs the child's process group if it is still
// running and reaps it, so a failing test never leaks processes. By default
// the child also gets SIGKILL if the thread that started it dies
// (PR_SET_PDEATHSIG), which covers a test binary killed by a ctest timeout;
// start children from a long-lived thread (the test's main thread), or set
// `kill_with_parent_thread = false`.
//
// Sanitizer reports: when the child has been reaped (Wait, Terminate, Kill,
// Running, the destructor), what it wrote since it started is scanned for
// reports of ThreadSanitizer, AddressSanitizer, LeakSanitizer and
// UndefinedBehaviorSanitizer. Each report fails the running test
// (ADD_FAILURE, with the report), also when the child was killed and whatever
// its exit code, so a race or memory error in an oauthd started by a test
// cannot go unnoticed in a sanitizer build.
//
// Thread safety: one ChildProcess must not be used from several threads at
// once; distinct ones are independent.

#include <sys/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace oauthd::test_support {

struct ChildProcessOptions {
  // argv[0] is the program: a path, or a name looked up in PATH.
  std::vector<std::string> argv;
  // Variables set (or overridden) in the child's environment.
  std::vector<std::pair<std::string, std::string>> env;
  // Start from the parent's environment (true) or from `env` alone (false).
  bool inherit_env = true;
  // stdout and stderr are both appended to this file. Empty: a new file in
  // $TEST_TMPDIR (or /tmp) named after the program, see output_path().
  std::string output_path;
  // Working directory of the child; empty keeps the parent's.
  std::string working_dir;
  // Deliver SIGKILL to the child when the starting thread exits.
  bool kill_with_parent_thread = true;
};

// The sanitizer reports in `output` (a program's stdout and stderr): from the
// first report's header to the end, at most `max_bytes`; empty when there is
// none.
std::string FindSanitizerReports(const std::string& output, size_t max_bytes = 16000);

// How a process ended.
struct ExitInfo {
  bool signaled = false;  // killed by `signal`
  int signal = 0;
  int exit_code = 0;  // valid when !signaled
  // Exited with code 0, or by SIGTERM (what a graceful stop looks like).
  bool Clean() const {
    return signaled ? signal == 15 : exit_code == 0;
  }
  std::string ToString() const;  // "exit code 0" / "killed by signal 9"
};

class ChildProcess {
 public:
  // Forks and execs options.argv. The child runs in its own process group
  // with stdin from /dev/null. INVALID_ARGUMENT for an empty argv, NOT_FOUND
  // when the program cannot be found, INTERNAL when exec fails otherwise.
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(
      const ChildProcessOptions& options);

  ~ChildProcess();  // Kill()s a child that is still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& output_path() const { return output_path_; }
  // Everything the child has written so far (stdout and stderr interleaved).
  std::string ReadOutput() const;

  // True until the child has exited (reaps it if it has).
  bool Running();
  // How the child ended; FAILED_PRECONDITION while it has not been reaped.
  absl::StatusOr<ExitInfo> exit_info() const;

  // Sends `sig` to the child (not its group). FAILED_PRECONDITION if it has
  // already exited.
  absl::Status Signal(int sig);
  // Waits up to `timeout` for the child to exit. DEADLINE_EXCEEDED if it is
  // still running then.
  absl::StatusOr<ExitInfo> Wait(absl::Duration timeout);
  // SIGTERM, wait up to `grace`, then SIGKILL to the group and wait. Returns
  // how it ended (a child that needed SIGKILL reports signal 9).
  absl::StatusOr<ExitInfo> Terminate(absl::Duration grace = absl::Seconds(5));
  // SIGKILL to the whole process group and reap. Idempotent.
  void Kill();

 private:
  ChildProcess(pid_t pid, std::string program, std::string output_path, off_t output_start)
      : pid_(pid),
        program_(std::move(program)),
        output_path_(std::move(output_path)),
        output_start_(output_start) {}
  bool Reap(bool block);
  void CheckForSanitizerReports() const;

  pid_t pid_;
  std::string program_;
  std::string output_path_;
  off_t output_start_;  // size of the output file before the child started
  bool exited_ = false;
  ExitInfo exit_;
};

// Waits until a TCP connect to host:port succeeds. UNAVAILABLE if `process`
// (optional) exits first, with its exit info and the tail of its output;
// DEADLINE_EXCEEDED after `timeout`.
absl::Status WaitForTcpPort(const std::string& host, int port,
                            absl::Duration timeout,
                            ChildProcess* process = nullptr);

// A TCP port on 127.0.0.1 that was free a moment ago (bound with port 0, then
// released). Another process may take it before you do: retry on failure.
absl::StatusOr<int> PickUnusedTcpPort();

// A directory for test files: $TEST_TMPDIR if set, else a fresh directory
// under /tmp. Created once per process.
const std::string& TestTempDir();

}  // namespace oauthd::test_support

#endif  // OAUTHD_TESTS_SUPPORT_CHILD_PROCESS_H_
