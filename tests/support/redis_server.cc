#include "tests/support/redis_server.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"

namespace oauthd::test_support {
namespace {

struct ContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;
struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

void Render(const redisReply* r, std::vector<std::string>& out) {
  switch (r->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      out.emplace_back(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.push_back(absl::StrCat(r->integer));
      break;
    case REDIS_REPLY_NIL:
      out.push_back("(nil)");
      break;
    case REDIS_REPLY_ARRAY:
      for (size_t i = 0; i < r->elements; ++i) Render(r->element[i], out);
      break;
    default:
      out.push_back("(unknown)");
  }
}

absl::StatusOr<ReplyPtr> Run(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  void* raw = redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(),
                               lens.data());
  if (raw == nullptr) {
    return absl::UnavailableError(absl::StrCat("redis I/O error: ", c->errstr));
  }
  return ReplyPtr(static_cast<redisReply*>(raw));
}

absl::StatusOr<ContextPtr> Connect(const std::string& host, int port,
                                   const std::string& password,
                                   absl::Duration timeout) {
  ContextPtr c(redisConnectWithTimeout(host.c_str(), port, absl::ToTimeval(timeout)));
  if (c == nullptr || c->err != 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot connect to redis at ", host, ":", port, ": ",
        c != nullptr ? c->errstr : "out of memory"));
  }
  redisSetTimeout(c.get(), absl::ToTimeval(absl::Seconds(5)));
  if (!password.empty()) {
    absl::StatusOr<ReplyPtr> auth = Run(c.get(), {"AUTH", password});
    if (!auth.ok()) return auth.status();
    if ((*auth)->type == REDIS_REPLY_ERROR) {
      return absl::UnavailableError(absl::StrCat("AUTH failed: ", (*auth)->str));
    }
  }
  return c;
}

absl::Mutex env_mu;
RedisServerEnvironment* env_instance ABSL_GUARDED_BY(env_mu) = nullptr;

}  // namespace

absl::StatusOr<std::unique_ptr<RedisServer>> RedisServer::Start(
    RedisServerOptions options) {
  std::unique_ptr<RedisServer> server(new RedisServer(std::move(options)));
  server->dir_ = TestTempDir();
  absl::Status last;
  for (int attempt = 0; attempt < 5; ++attempt) {
    absl::StatusOr<int> port = PickUnusedTcpPort();
    if (!port.ok()) return port.status();
    server->port_ = *port;
    last = server->Launch();
    if (last.ok()) return server;
    if (absl::IsNotFound(last)) break;  // no binary: retrying will not help
  }
  return last;
}

RedisServer::~RedisServer() {
  if (process_ != nullptr) process_->Kill();
}

std::string RedisServer::url() const {
  if (options_.password.empty()) return absl::StrCat("redis://", host_, ":", port_);
  return absl::StrCat("redis://:", options_.password, "@", host_, ":", port_);
}

std::string RedisServer::log_path() const {
  return process_ != nullptr ? process_->output_path() : std::string();
}

absl::Status RedisServer::Launch() {
  ChildProcessOptions opts;
  opts.argv = {options_.binary,
               "--port", absl::StrCat(port_),
               "--bind", host_,
               "--save", "",
               "--appendonly", "no",
               "--daemonize", "no",
               "--dir", dir_,
               "--logfile", ""};
  if (!options_.password.empty()) {
    opts.argv.push_back("--requirepass");
    opts.argv.push_back(options_.password);
  }
  for (const std::string& a : options_.extra_args) opts.argv.push_back(a);
  opts.output_path = absl::StrCat(dir_, "/redis-", port_, ".log");
  absl::StatusOr<std::unique_ptr<ChildProcess>> process = ChildProcess::Start(opts);
  if (!process.ok()) {
    if (absl::IsNotFound(process.status())) {
      return absl::NotFoundError(absl::StrCat(
          process.status().message(),
          " — the storage tests need a real Redis: apt-get install redis-server"));
    }
    return process.status();
  }
  process_ = *std::move(process);
  absl::Status ready = WaitReady();
  if (!ready.ok()) {
    process_->Kill();
    return ready;
  }
  return absl::OkStatus();
}

absl::Status RedisServer::WaitReady() {
  const absl::Time deadline = absl::Now() + options_.start_timeout;
  absl::Status last = absl::UnavailableError("not tried");
  while (absl::Now() < deadline) {
    if (!process_->Running()) {
      return absl::UnavailableError(absl::StrCat(
          "redis-server on port ", port_, " exited (",
          process_->exit_info()->ToString(), "); log ", process_->output_path(),
          ":\n", process_->ReadOutput()));
    }
    absl::StatusOr<ContextPtr> c =
        Connect(host_, port_, options_.password, absl::Milliseconds(200));
    if (c.ok()) {
      absl::StatusOr<ReplyPtr> pong = Run(c->get(), {"PING"});
      if (pong.ok() && (*pong)->type == REDIS_REPLY_STATUS &&
          std::string((*pong)->str, (*pong)->len) == "PONG") {
        return absl::OkStatus();
      }
      last = pong.ok() ? absl::UnavailableError("PING did not answer PONG")
                       : pong.status();
    } else {
      last = c.status();
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return absl::UnavailableError(absl::StrCat(
      "redis-server on port ", port_, " did not answer PING within ",
      absl::FormatDuration(options_.start_timeout), ": ", last.message(),
      "; log:\n", process_->ReadOutput()));
}

absl::Status RedisServer::Stop() {
  if (process_ == nullptr || !process_->Running()) return absl::OkStatus();
  absl::StatusOr<ExitInfo> exit = process_->Terminate(absl::Seconds(5));
  return exit.status();
}

void RedisServer::Crash() {
  if (process_ != nullptr) process_->Kill();
}

absl::Status RedisServer::Restart() {
  if (absl::Status s = Stop(); !s.ok()) return s;
  // The port was ours a moment ago; redis-server uses SO_REUSEADDR, so
  // TIME_WAIT connections do not block the bind. Retry briefly anyway.
  absl::Status last;
  for (int attempt = 0; attempt < 20; ++attempt) {
    last = Launch();
    if (last.ok() || absl::IsNotFound(last)) return last;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return last;
}

bool RedisServer::running() { return process_ != nullptr && process_->Running(); }

absl::StatusOr<std::string> RedisServer::Command(
    const std::vector<std::string>& args) const {
  absl::StatusOr<ContextPtr> c =
      Connect(host_, port_, options_.password, absl::Seconds(2));
  if (!c.ok()) return c.status();
  absl::StatusOr<ReplyPtr> reply = Run(c->get(), args);
  if (!reply.ok()) return reply.status();
  if ((*reply)->type == REDIS_REPLY_ERROR) {
    return absl::InternalError(std::string((*reply)->str, (*reply)->len));
  }
  std::vector<std::string> parts;
  Render(reply->get(), parts);
  return absl::StrJoin(parts, "\n");
}

// ---- environment ---------------------------------------------------------------

RedisServerEnvironment::RedisServerEnvironment(RedisServerOptions options, bool lazy)
    : options_(std::move(options)), lazy_(lazy) {
  absl::MutexLock lock(&env_mu);
  env_instance = this;
}

RedisServerEnvironment::~RedisServerEnvironment() {
  absl::MutexLock lock(&env_mu);
  if (env_instance == this) env_instance = nullptr;
}

void RedisServerEnvironment::SetUp() {
  if (lazy_) return;
  absl::StatusOr<RedisServer*> server;
  {
    absl::MutexLock lock(&env_mu);
    server = GetOrStart();
  }
  ASSERT_TRUE(server.ok()) << server.status();
}

void RedisServerEnvironment::TearDown() {
  absl::MutexLock lock(&env_mu);
  server_.reset();
}

absl::StatusOr<RedisServer*> RedisServerEnvironment::GetOrStart() {
  if (!attempted_) {
    attempted_ = true;
    absl::StatusOr<std::unique_ptr<RedisServer>> started = RedisServer::Start(options_);
    if (started.ok()) {
      server_ = *std::move(started);
    } else {
      start_error_ = started.status();
    }
  }
  if (!start_error_.ok()) return start_error_;
  if (server_ == nullptr) {
    return absl::FailedPreconditionError("the Redis test environment was torn down");
  }
  return server_.get();
}

absl::StatusOr<RedisServer*> RedisServerEnvironment::Server() {
  absl::MutexLock lock(&env_mu);
  if (env_instance == nullptr) {
    return absl::FailedPreconditionError(
        "no RedisServerEnvironment: add ::testing::AddGlobalTestEnvironment("
        "new RedisServerEnvironment()) in main()");
  }
  return env_instance->GetOrStart();
}

}  // namespace oauthd::test_support
