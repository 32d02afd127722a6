#include "tests/support/child_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>
#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

extern char** environ;

namespace oauthd::test_support {
namespace {

// Closes a descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

std::string ErrnoText(int err) { return std::strerror(err); }

// The program to exec: a path as given, or the first executable match in PATH.
absl::StatusOr<std::string> ResolveProgram(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    if (access(name.c_str(), X_OK) != 0) {
      return absl::NotFoundError(
          absl::StrCat("program '", name, "' is not executable: ", ErrnoText(errno)));
    }
    return name;
  }
  const char* path = getenv("PATH");
  for (absl::string_view dir :
       absl::StrSplit(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin", ':')) {
    if (dir.empty()) continue;
    std::string candidate = absl::StrCat(dir, "/", name);
    struct stat st {};
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return absl::NotFoundError(
      absl::StrCat("program '", name, "' not found in PATH; is it installed?"));
}

std::string Basename(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string Tail(const std::string& text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  return absl::StrCat("...", text.substr(text.size() - max_bytes));
}

// Lines that only a sanitizer runtime prints: report headers ("WARNING:
// ThreadSanitizer: data race", "ERROR: AddressSanitizer: heap-use-after-free",
// "ERROR: LeakSanitizer: detected memory leaks"), their SUMMARY lines, and
// UBSan's "file:line:col: runtime error: ...".
constexpr std::string_view kSanitizerMarkers[] = {
    "ThreadSanitizer:", "AddressSanitizer:", "LeakSanitizer:",
    "UndefinedBehaviorSanitizer:", ": runtime error: "};

}  // namespace

std::string FindSanitizerReports(const std::string& output, size_t max_bytes) {
  size_t first = std::string::npos;
  for (std::string_view marker : kSanitizerMarkers) {
    first = std::min(first, output.find(marker));
  }
  if (first == std::string::npos) return "";
  // From the start of the report: TSan and ASan open it with a "=====" line.
  size_t line = output.rfind('\n', first);
  size_t start = line == std::string::npos ? 0 : line + 1;
  size_t rule = output.rfind("==================", start);
  if (rule != std::string::npos && start - rule < 200) start = rule;
  return output.substr(start, max_bytes);
}

std::string ExitInfo::ToString() const {
  if (signaled) {
    return absl::StrCat("killed by signal ", signal, " (", strsignal(signal), ")");
  }
  return absl::StrCat("exit code ", exit_code);
}

const std::string& TestTempDir() {
  static const std::string* const dir = [] {
    const char* env = getenv("TEST_TMPDIR");
    if (env != nullptr && *env != '\0') return new std::string(env);
    std::string tmpl = "/tmp/oauthd-test-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) return new std::string("/tmp");
    return new std::string(tmpl);
  }();
  return *dir;
}

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(
    const ChildProcessOptions& options) {
  if (options.argv.empty()) return absl::InvalidArgumentError("argv is empty");
  absl::StatusOr<std::string> program = ResolveProgram(options.argv[0]);
  if (!program.ok()) return program.status();

  std::string output_path = options.output_path;
  if (output_path.empty()) {
    static std::atomic<int> counter{0};
    output_path = absl::StrCat(TestTempDir(), "/", Basename(options.argv[0]), ".",
                               getpid(), ".", counter.fetch_add(1), ".log");
  }

  // Everything the child needs is prepared here: between fork and exec only
  // async-signal-safe calls are allowed.
  std::vector<char*> argv;
  for (const std::string& a : options.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  absl::flat_hash_map<std::string, std::string> env_map;
  std::vector<std::string> env_order;
  auto put = [&](std::string key, std::string value) {
    if (!env_map.contains(key)) env_order.push_back(key);
    env_map[key] = std::move(value);
  };
  if (options.inherit_env) {
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
      absl::string_view kv(*e);
      size_t eq = kv.find('=');
      if (eq == absl::string_view::npos) continue;
      put(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
    }
  }
  for (const auto& [k, v] : options.env) put(k, v);
  std::vector<std::string> env_strings;
  env_strings.reserve(env_order.size());
  for (const std::string& k : env_order) env_strings.push_back(absl::StrCat(k, "=", env_map[k]));
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  Fd out(open(output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (out.get() < 0) {
    return absl::InternalError(
        absl::StrCat("cannot open ", output_path, ": ", ErrnoText(errno)));
  }
  // The file may hold an earlier process's output (a restart appends):
  // only what this child writes is scanned for sanitizer reports.
  struct stat out_stat {};
  const off_t output_start = fstat(out.get(), &out_stat) == 0 ? out_stat.st_size : 0;
  Fd devnull(open("/dev/null", O_RDONLY | O_CLOEXEC));
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe2: ", ErrnoText(errno)));
  }
  Fd err_read(pipe_fds[0]);
  Fd err_write(pipe_fds[1]);
  const char* dir = options.working_dir.empty() ? nullptr : options.working_dir.c_str();
  const pid_t parent = getpid();
  const bool pdeathsig = options.kill_with_parent_thread;

  pid_t pid = fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", ErrnoText(errno)));
  if (pid == 0) {
    // Child.
    auto fail = [&](int stage_errno) {
      int e = stage_errno;
      ssize_t ignored = write(err_write.get(), &e, sizeof(e));
      (void)ignored;
      _exit(127);
    };
    setpgid(0, 0);
    if (pdeathsig) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
    }
    // Ignored signals and the signal mask survive exec: undo what test
    // binaries typically set (SIGPIPE ignored by the Redis store).
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGPIPE, &dfl, nullptr);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (devnull.get() >= 0 && dup2(devnull.get(), STDIN_FILENO) < 0) fail(errno);
    if (dup2(out.get(), STDOUT_FILENO) < 0) fail(errno);
    if (dup2(out.get(), STDERR_FILENO) < 0) fail(errno);
    if (dir != nullptr && chdir(dir) != 0) fail(errno);
    execve(program->c_str(), argv.data(), envp.data());
    fail(errno);
  }
  // Parent.
  setpgid(pid, pid);  // also done by the child; whichever runs first wins
  err_write.Reset();  // so that read() sees EOF once exec succeeds
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(err_read.get(), &child_errno, sizeof(child_errno));
  } while (n < 0 && errno == EINTR);
  if (n == sizeof(child_errno)) {
    int status = 0;
    waitpid(pid, &status, 0);
    return absl::InternalError(absl::StrCat("cannot start ", *program, ": ",
                                            ErrnoText(child_errno)));
  }
  return std::unique_ptr<ChildProcess>(
      new ChildProcess(pid, options.argv[0], output_path, output_start));
}

ChildProcess::~ChildProcess() {
  if (!exited_) Kill();
}

std::string ChildProcess::ReadOutput() const {
  std::ifstream in(output_path_, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool ChildProcess::Reap(bool block) {
  if (exited_) return true;
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == 0) return false;
  exited_ = true;
  if (r < 0) {
    // Already reaped elsewhere (e.g. a SIGCHLD handler): the status is lost.
    exit_ = ExitInfo{false, 0, -1};
    CheckForSanitizerReports();
    return true;
  }
  if (WIFSIGNALED(status)) {
    exit_ = ExitInfo{true, WTERMSIG(status), 0};
  } else {
    exit_ = ExitInfo{false, 0, WEXITSTATUS(status)};
  }
  CheckForSanitizerReports();
  return true;
}

void ChildProcess::CheckForSanitizerReports() const {
  std::string output = ReadOutput();
  if (output_start_ > 0) {
    output.erase(0, std::min(output.size(), static_cast<size_t>(output_start_)));
  }
  std::string reports = FindSanitizerReports(output);
  if (reports.empty()) return;
  ADD_FAILURE() << "process " << pid_ << " (" << program_ << ", " << exit_.ToString()
                << ") printed a sanitizer report; its whole output is in " << output_path_
                << ":\n" << reports;
}

bool ChildProcess::Running() { return !Reap(false); }

absl::StatusOr<ExitInfo> ChildProcess::exit_info() const {
  if (!exited_) return absl::FailedPreconditionError("the process has not exited");
  return exit_;
}

absl::Status ChildProcess::Signal(int sig) {
  if (Reap(false)) {
    return absl::FailedPreconditionError(
        absl::StrCat("process ", pid_, " has already exited: ", exit_.ToString()));
  }
  if (kill(pid_, sig) != 0) {
    return absl::InternalError(absl::StrCat("kill: ", ErrnoText(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<ExitInfo> ChildProcess::Wait(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::Duration pause = absl::Milliseconds(1);
  while (!Reap(false)) {
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "process ", pid_, " still running after ", absl::FormatDuration(timeout)));
    }
    absl::SleepFor(pause);
    pause = std::min(pause * 2, absl::Milliseconds(20));
  }
  return exit_;
}

absl::StatusOr<ExitInfo> ChildProcess::Terminate(absl::Duration grace) {
  if (!Reap(false)) {
    kill(pid_, SIGTERM);
    absl::StatusOr<ExitInfo> info = Wait(grace);
    if (info.ok()) return info;
    Kill();
  }
  return exit_;
}

void ChildProcess::Kill() {
  if (exited_) return;
  kill(-pid_, SIGKILL);
  kill(pid_, SIGKILL);
  Reap(true);
}

absl::Status WaitForTcpPort(const std::string& host, int port,
                            absl::Duration timeout, ChildProcess* process) {
  const absl::Time deadline = absl::Now() + timeout;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("WaitForTcpPort needs an IPv4 address, got '", host, "'"));
  }
  for (;;) {
    Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (fd.get() >= 0 &&
        connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
      return absl::OkStatus();
    }
    if (process != nullptr && !process->Running()) {
      return absl::UnavailableError(absl::StrCat(
          "process ", process->pid(), " exited (",
          process->exit_info()->ToString(), ") before listening on ", host, ":",
          port, "; output:\n", Tail(process->ReadOutput(), 4000)));
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "nothing listening on ", host, ":", port, " after ",
          absl::FormatDuration(timeout)));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
}

absl::StatusOr<int> PickUnusedTcpPort() {
  Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return absl::InternalError(absl::StrCat("socket: ", ErrnoText(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return absl::InternalError(absl::StrCat("bind: ", ErrnoText(errno)));
  }
  socklen_t len = sizeof(addr);
  if (getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return absl::InternalError(absl::StrCat("getsockname: ", ErrnoText(errno)));
  }
  return static_cast<int>(ntohs(addr.sin_port));
}

}  // namespace oauthd::test_support
