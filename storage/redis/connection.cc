#include "storage/redis/connection.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace oauthd::storage::redis_internal {
namespace {

struct ArgvBuffers {
  absl::InlinedVector<const char*, 16> argv;
  absl::InlinedVector<size_t, 16> lens;
  explicit ArgvBuffers(absl::Span<const absl::string_view> args) {
    argv.reserve(args.size());
    lens.reserve(args.size());
    for (absl::string_view a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
  }
};

// The ROLE reply's first element is "master", "slave" or "sentinel".
absl::Status CheckRole(const redisReply* reply, RoleCheck check,
                       const std::string& endpoint) {
  if (reply->type == REDIS_REPLY_ERROR) {
    if (check == RoleCheck::kIfSupported) return absl::OkStatus();
    return absl::UnavailableError(absl::StrCat(
        "redis ", endpoint, ": cannot verify that it is the primary: ROLE failed: ",
        absl::string_view(reply->str, reply->len)));
  }
  absl::string_view role;
  if (reply->type == REDIS_REPLY_ARRAY && reply->elements > 0 &&
      (reply->element[0]->type == REDIS_REPLY_STRING ||
       reply->element[0]->type == REDIS_REPLY_STATUS)) {
    role = absl::string_view(reply->element[0]->str, reply->element[0]->len);
  }
  if (role == "master") return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat(
      "redis ", endpoint, ": not the primary (ROLE says '", role,
      "'); oauthd never writes to a replica"));
}

}  // namespace

void ReplyDeleter::operator()(redisReply* reply) const {
  if (reply != nullptr) freeReplyObject(reply);
}

Connection::Connection(redisContext* ctx, std::string endpoint,
                       absl::Duration command_timeout)
    : ctx_(ctx), endpoint_(std::move(endpoint)), command_timeout_(command_timeout) {}

Connection::~Connection() { redisFree(ctx_); }

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(
    const ConnectionConfig& config) {
  return Open(config, config.host, config.port);
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(
    const ConnectionConfig& config, const std::string& host, int port) {
  const bool unix_socket = !host.empty() && host[0] == '/';
  std::string endpoint = unix_socket ? host : absl::StrCat(host, ":", port);
  const timeval connect_tv = absl::ToTimeval(config.connect_timeout);
  redisContext* ctx =
      unix_socket ? redisConnectUnixWithTimeout(host.c_str(), connect_tv)
                  : redisConnectWithTimeout(host.c_str(), port, connect_tv);
  if (ctx == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("redis ", endpoint, ": cannot allocate a connection"));
  }
  if (ctx->err != 0) {
    std::string why = ctx->errstr;
    if (ctx->err == REDIS_ERR_IO && (errno == ETIMEDOUT || errno == EINPROGRESS)) {
      why = absl::StrCat("connect timed out after ",
                         absl::FormatDuration(config.connect_timeout));
    }
    redisFree(ctx);
    return absl::UnavailableError(
        absl::StrCat("redis ", endpoint, ": cannot connect: ", why));
  }
  std::unique_ptr<Connection> conn(
      new Connection(ctx, endpoint, config.command_timeout));
  conn->metrics_ = config.metrics;

  // The handshake is bounded by the connect timeout too.
  if (redisSetTimeout(ctx, connect_tv) != REDIS_OK) {
    return conn->IoError("setting the socket timeout");
  }
  enum class Step { kAuth, kSelect, kRole, kScript };
  std::vector<std::pair<Step, size_t>> steps;
  auto append = [&](absl::Span<const absl::string_view> args, Step step,
                    size_t index) {
    ArgvBuffers b(args);
    redisAppendCommandArgv(ctx, static_cast<int>(b.argv.size()), b.argv.data(),
                           b.lens.data());
    steps.emplace_back(step, index);
  };
  if (!config.password.empty()) {
    if (config.user.empty()) {
      absl::string_view args[] = {"AUTH", config.password};
      append(args, Step::kAuth, 0);
    } else {
      absl::string_view args[] = {"AUTH", config.user, config.password};
      append(args, Step::kAuth, 0);
    }
  }
  std::string db = absl::StrCat(config.db);
  if (config.db != 0) {
    absl::string_view args[] = {"SELECT", db};
    append(args, Step::kSelect, 0);
  }
  if (config.role_check != RoleCheck::kNone) {
    absl::string_view args[] = {"ROLE"};
    append(args, Step::kRole, 0);
  }
  for (size_t i = 0; i < config.scripts.size(); ++i) {
    absl::string_view args[] = {"SCRIPT", "LOAD", config.scripts[i]};
    append(args, Step::kScript, i);
  }
  absl::Status first_error;
  for (const auto& [step, index] : steps) {
    void* raw = nullptr;
    if (redisGetReply(ctx, &raw) != REDIS_OK) {
      return conn->IoError("the connection handshake");
    }
    ReplyPtr reply(static_cast<redisReply*>(raw));
    if (!first_error.ok()) continue;  // drain the pipeline
    if (step == Step::kRole) {
      first_error = CheckRole(reply.get(), config.role_check, endpoint);
      continue;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
      absl::string_view what = step == Step::kAuth     ? "AUTH failed"
                               : step == Step::kSelect ? "SELECT failed"
                                                       : "SCRIPT LOAD failed";
      first_error = absl::UnavailableError(absl::StrCat(
          "redis ", endpoint, ": ", what, ": ",
          absl::string_view(reply->str, reply->len)));
    } else if (step == Step::kScript &&
               (reply->type != REDIS_REPLY_STRING ||
                absl::string_view(reply->str, reply->len) !=
                    config.script_shas[index])) {
      first_error = absl::InternalError(absl::StrCat(
          "redis ", endpoint, ": SCRIPT LOAD returned an unexpected SHA-1"));
    }
  }
  if (!first_error.ok()) return first_error;
  if (redisSetTimeout(ctx, absl::ToTimeval(config.command_timeout)) != REDIS_OK) {
    return conn->IoError("setting the socket timeout");
  }
  return conn;
}

absl::Status Connection::IoError(absl::string_view during) {
  broken_ = true;
  if (metrics_ != nullptr) metrics_->io_errors.fetch_add(1, std::memory_order_relaxed);
  const int saved_errno = errno;
  std::string why;
  if (ctx_->err == REDIS_ERR_IO &&
      (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK)) {
    why = absl::StrCat("timed out after ", absl::FormatDuration(command_timeout_));
  } else if (ctx_->err == REDIS_ERR_EOF) {
    why = "server closed the connection";
  } else if (ctx_->err != 0) {
    why = ctx_->errstr;
  } else {
    why = "unknown error";
  }
  return absl::UnavailableError(
      absl::StrCat("redis ", endpoint_, ": I/O error during ", during, ": ", why));
}

absl::StatusOr<ReplyPtr> Connection::Command(
    absl::Span<const absl::string_view> args) {
  if (broken_) {
    return absl::UnavailableError(
        absl::StrCat("redis ", endpoint_, ": connection is broken"));
  }
  ArgvBuffers b(args);
  const absl::Time start = absl::Now();
  void* raw = redisCommandArgv(ctx_, static_cast<int>(b.argv.size()),
                               b.argv.data(), b.lens.data());
  if (raw == nullptr) return IoError("a command");
  ReplyPtr reply(static_cast<redisReply*>(raw));
  Observe(start, reply.get());
  return reply;
}

absl::StatusOr<Connection::Replies> Connection::Pipeline(
    std::initializer_list<absl::Span<const absl::string_view>> commands) {
  return Pipeline(absl::MakeConstSpan(commands.begin(), commands.size()));
}

absl::StatusOr<Connection::Replies> Connection::Pipeline(
    absl::Span<const absl::Span<const absl::string_view>> commands) {
  if (broken_) {
    return absl::UnavailableError(
        absl::StrCat("redis ", endpoint_, ": connection is broken"));
  }
  for (absl::Span<const absl::string_view> args : commands) {
    ArgvBuffers b(args);
    if (redisAppendCommandArgv(ctx_, static_cast<int>(b.argv.size()),
                               b.argv.data(), b.lens.data()) != REDIS_OK) {
      return IoError("queueing a pipelined command");
    }
  }
  const absl::Time start = absl::Now();
  Replies replies;
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK) return IoError("a pipeline");
    replies.emplace_back(static_cast<redisReply*>(raw));
  }
  if (metrics_ != nullptr) {
    metrics_->round_trips.Observe(absl::Now() - start);
    for (const ReplyPtr& r : replies) CountErrorReply(r.get());
  }
  return replies;
}

absl::Status Connection::SendOnly(absl::Span<const absl::string_view> args) {
  if (broken_) {
    return absl::UnavailableError(
        absl::StrCat("redis ", endpoint_, ": connection is broken"));
  }
  ArgvBuffers b(args);
  if (redisAppendCommandArgv(ctx_, static_cast<int>(b.argv.size()), b.argv.data(),
                             b.lens.data()) != REDIS_OK) {
    return IoError("queueing a command");
  }
  int done = 0;
  while (done == 0) {
    if (redisBufferWrite(ctx_, &done) != REDIS_OK) return IoError("sending a command");
  }
  return absl::OkStatus();
}

absl::StatusOr<ReplyPtr> Connection::ReadReply() {
  if (broken_) {
    return absl::UnavailableError(
        absl::StrCat("redis ", endpoint_, ": connection is broken"));
  }
  void* raw = nullptr;
  if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) {
    return IoError("reading a reply");
  }
  return ReplyPtr(static_cast<redisReply*>(raw));
}

absl::StatusOr<ReplyPtr> Connection::TakeBufferedReply() {
  void* raw = nullptr;
  if (redisGetReplyFromReader(ctx_, &raw) != REDIS_OK) {
    return IoError("parsing a reply");
  }
  return ReplyPtr(static_cast<redisReply*>(raw));
}

int Connection::fd() const { return ctx_->fd; }

void Connection::CountErrorReply(const redisReply* reply) {
  if (metrics_ == nullptr || reply == nullptr || reply->type != REDIS_REPLY_ERROR) return;
  // NOSCRIPT is answered by resending the script at once: not a failure.
  if (absl::StartsWith(absl::string_view(reply->str, reply->len), "NOSCRIPT")) return;
  metrics_->error_replies.fetch_add(1, std::memory_order_relaxed);
}

void Connection::Observe(absl::Time start, const redisReply* reply) {
  if (metrics_ == nullptr) return;
  metrics_->round_trips.Observe(absl::Now() - start);
  CountErrorReply(reply);
}

bool Connection::IdleSocketHealthy() const {
  if (broken_ || ctx_->err != 0 || ctx_->fd < 0) return false;
  pollfd pfd{};
  pfd.fd = ctx_->fd;
  pfd.events = POLLIN | POLLRDHUP;
  int n = poll(&pfd, 1, 0);
  if (n < 0) return errno == EINTR;
  return n == 0;  // anything pending on an idle connection means trouble
}

absl::Status ErrorReplyToStatus(absl::string_view error, Connection* conn) {
  static constexpr absl::string_view kTransient[] = {
      "LOADING", "BUSY", "TRYAGAIN", "CLUSTERDOWN"};
  // UNBLOCKED: a WAIT cut short because the primary was turned into a replica.
  static constexpr absl::string_view kFailoverHint[] = {"MASTERDOWN", "NOREPLICAS",
                                                        "UNBLOCKED"};
  static constexpr absl::string_view kReconnect[] = {"READONLY", "NOAUTH",
                                                     "WRONGPASS", "NOPERM"};
  const std::string where =
      conn != nullptr ? absl::StrCat("redis ", conn->endpoint(), ": ") : "redis: ";
  for (absl::string_view prefix : kReconnect) {
    if (absl::StartsWith(error, prefix)) {
      if (conn != nullptr) conn->MarkBroken();
      return absl::UnavailableError(absl::StrCat(where, error));
    }
  }
  for (absl::string_view prefix : kFailoverHint) {
    if (absl::StartsWith(error, prefix)) {
      if (conn != nullptr) conn->MarkSuspect();
      return absl::UnavailableError(absl::StrCat(where, error));
    }
  }
  for (absl::string_view prefix : kTransient) {
    if (absl::StartsWith(error, prefix)) {
      return absl::UnavailableError(absl::StrCat(where, error));
    }
  }
  return absl::InternalError(absl::StrCat(where, error));
}

absl::StatusOr<std::string> ReplyString(const redisReply* reply) {
  switch (reply->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      return std::string(reply->str, reply->len);
    case REDIS_REPLY_INTEGER:
      return absl::StrCat(reply->integer);
    case REDIS_REPLY_NIL:
      return std::string();
    default:
      return absl::InternalError(
          absl::StrCat("redis: expected a string reply, got type ", reply->type));
  }
}

absl::StatusOr<int64_t> ReplyInteger(const redisReply* reply) {
  switch (reply->type) {
    case REDIS_REPLY_INTEGER:
      return static_cast<int64_t>(reply->integer);
    case REDIS_REPLY_NIL:
      return 0;
    case REDIS_REPLY_STRING: {
      int64_t v = 0;
      absl::string_view s(reply->str, reply->len);
      if (s.empty()) return 0;
      if (absl::SimpleAtoi(s, &v)) return v;
      // Lua numbers may come back as "1.7e+09"-style or "12.0" strings.
      double d = 0;
      if (absl::SimpleAtod(s, &d)) return static_cast<int64_t>(d);
      return absl::InternalError(absl::StrCat("redis: not an integer: '", s, "'"));
    }
    default:
      return absl::InternalError(
          absl::StrCat("redis: expected an integer reply, got type ", reply->type));
  }
}

}  // namespace oauthd::storage::redis_internal
