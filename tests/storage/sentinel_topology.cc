#include "tests/storage/sentinel_topology.h"

#include <hiredis/hiredis.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <iterator>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"

namespace oauthd::storage::testing_internal {
namespace {

struct ContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

// Commands in turn on one fresh connection to 127.0.0.1:port; the last reply.
absl::StatusOr<ReplyPtr> RawSequence(int port,
                                     const std::vector<std::vector<std::string>>& commands) {
  ContextPtr c(redisConnectWithTimeout("127.0.0.1", port,
                                       absl::ToTimeval(absl::Milliseconds(500))));
  if (c == nullptr || c->err != 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot connect to 127.0.0.1:", port, ": ", c ? c->errstr : "no memory"));
  }
  redisSetTimeout(c.get(), absl::ToTimeval(absl::Seconds(2)));
  ReplyPtr last;
  for (const std::vector<std::string>& args : commands) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const std::string& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    void* raw = redisCommandArgv(c.get(), static_cast<int>(argv.size()), argv.data(),
                                 lens.data());
    if (raw == nullptr) {
      return absl::UnavailableError(absl::StrCat("127.0.0.1:", port, ": ", c->errstr));
    }
    last.reset(static_cast<redisReply*>(raw));
  }
  return last;
}

absl::StatusOr<ReplyPtr> Raw(int port, const std::vector<std::string>& args) {
  return RawSequence(port, {args});
}

std::string Str(const redisReply* r) {
  if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
      r->type == REDIS_REPLY_ERROR) {
    return std::string(r->str, r->len);
  }
  if (r->type == REDIS_REPLY_INTEGER) return absl::StrCat(r->integer);
  return "";
}

void Render(const redisReply* r, std::vector<std::string>& out) {
  if (r->type == REDIS_REPLY_ARRAY) {
    for (size_t i = 0; i < r->elements; ++i) Render(r->element[i], out);
  } else if (r->type == REDIS_REPLY_NIL) {
    out.push_back("(nil)");
  } else {
    out.push_back(Str(r));
  }
}

// Field `name` of a flat field/value array (SENTINEL replicas entries).
std::string Field(const redisReply* r, absl::string_view name) {
  if (r->type != REDIS_REPLY_ARRAY) return "";
  for (size_t i = 0; i + 1 < r->elements; i += 2) {
    if (Str(r->element[i]) == name) return Str(r->element[i + 1]);
  }
  return "";
}

absl::Status WaitUntil(absl::Duration timeout, absl::string_view what,
                       const std::function<absl::Status()>& check) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::Status last;
  while (true) {
    last = check();
    if (last.ok()) return last;
    if (absl::Now() >= deadline) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return absl::DeadlineExceededError(absl::StrCat(
      what, " not reached within ", absl::FormatDuration(timeout), ": ", last.message()));
}

}  // namespace

absl::StatusOr<std::unique_ptr<SentinelTopology>> SentinelTopology::Start(
    SentinelTopologyOptions options) {
  std::unique_ptr<SentinelTopology> t(new SentinelTopology());
  t->options_ = options;
  static int instance = 0;
  const int id = instance++;
  for (int i = 0; i < 2; ++i) {
    test_support::RedisServerOptions o;
    // A private RDB name per node: a restarted node must not load a file the
    // other one wrote in the shared test directory.
    o.extra_args = {"--dbfilename", absl::StrCat("node-", getpid(), "-", id, "-", i, ".rdb"),
                    "--repl-diskless-sync", "yes",
                    "--repl-diskless-sync-delay", "0",
                    // DEBUG SLEEP stalls a replica in WAIT tests.
                    "--enable-debug-command", "local"};
    if (i == 1) {
      o.extra_args.insert(o.extra_args.end(),
                          {"--replicaof", "127.0.0.1", absl::StrCat(t->nodes_[0]->port())});
    }
    absl::StatusOr<std::unique_ptr<test_support::RedisServer>> node =
        test_support::RedisServer::Start(o);
    if (!node.ok()) return node.status();
    t->nodes_.push_back(*std::move(node));
  }
  if (options.with_sentinels) {
    for (int i = 0; i < 3; ++i) {
      if (absl::Status s = t->StartSentinel(t->nodes_[0]->port()); !s.ok()) return s;
    }
  }
  if (absl::Status s = t->WaitStable(absl::Seconds(20)); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat(s.message(), "\n", t->Logs()));
  }
  return t;
}

SentinelTopology::~SentinelTopology() {
  for (auto& p : sentinel_processes_) p->Kill();
}

absl::Status SentinelTopology::StartSentinel(int primary_port) {
  absl::Status last;
  for (int attempt = 0; attempt < 5; ++attempt) {
    absl::StatusOr<int> port = test_support::PickUnusedTcpPort();
    if (!port.ok()) return port.status();
    const std::string dir = test_support::TestTempDir();
    const std::string conf = absl::StrCat(dir, "/sentinel-", *port, ".conf");
    {
      std::ofstream out(conf, std::ios::trunc);
      out << "port " << *port << "\n"
          << "bind 127.0.0.1\n"
          << "daemonize no\n"
          << "logfile \"\"\n"
          << "dir " << dir << "\n"
          << "sentinel monitor " << options_.master_name << " 127.0.0.1 " << primary_port
          << " 2\n"
          << "sentinel down-after-milliseconds " << options_.master_name << " "
          << absl::ToInt64Milliseconds(options_.down_after) << "\n"
          << "sentinel failover-timeout " << options_.master_name << " "
          << absl::ToInt64Milliseconds(options_.failover_timeout) << "\n"
          << "sentinel parallel-syncs " << options_.master_name << " 1\n";
      if (!out) return absl::InternalError(absl::StrCat("cannot write ", conf));
    }
    test_support::ChildProcessOptions opts;
    opts.argv = {"redis-server", conf, "--sentinel"};
    opts.output_path = absl::StrCat(dir, "/sentinel-", *port, ".log");
    absl::StatusOr<std::unique_ptr<test_support::ChildProcess>> process =
        test_support::ChildProcess::Start(opts);
    if (!process.ok()) return process.status();
    last = test_support::WaitForTcpPort("127.0.0.1", *port, absl::Seconds(10),
                                        process->get());
    if (last.ok()) {
      sentinel_processes_.push_back(*std::move(process));
      sentinel_ports_.push_back(*port);
      return absl::OkStatus();
    }
    (*process)->Kill();
  }
  return last;
}

std::vector<HostPort> SentinelTopology::sentinels() const {
  std::vector<HostPort> out;
  for (int port : sentinel_ports_) out.push_back(HostPort{"127.0.0.1", port});
  return out;
}

absl::StatusOr<std::string> SentinelTopology::SentinelCommand(
    int i, const std::vector<std::string>& args) {
  absl::StatusOr<ReplyPtr> reply = Raw(sentinel_ports_[i], args);
  if (!reply.ok()) return reply.status();
  if ((*reply)->type == REDIS_REPLY_ERROR) return absl::InternalError(Str(reply->get()));
  std::vector<std::string> parts;
  Render(reply->get(), parts);
  return absl::StrJoin(parts, "\n");
}

int SentinelTopology::PrimaryIndex() {
  int found = -1;
  for (int i = 0; i < 2; ++i) {
    if (!nodes_[i]->running()) continue;
    absl::StatusOr<ReplyPtr> role = Raw(nodes_[i]->port(), {"ROLE"});
    if (role.ok() && (*role)->type == REDIS_REPLY_ARRAY && (*role)->elements > 0 &&
        Str((*role)->element[0]) == "master") {
      if (found >= 0) return -1;
      found = i;
    }
  }
  return found;
}

absl::Status SentinelTopology::WaitStable(absl::Duration timeout) {
  return WaitUntil(timeout, "a stable primary/replica/sentinel set", [&]() -> absl::Status {
    const int p = PrimaryIndex();
    if (p < 0) return absl::UnavailableError("no single primary");
    const int r = 1 - p;
    absl::StatusOr<ReplyPtr> info = Raw(nodes_[r]->port(), {"INFO", "replication"});
    if (!info.ok()) return info.status();
    if (!absl::StrContains(Str(info->get()), "master_link_status:up")) {
      return absl::UnavailableError("replica not in sync");
    }
    // The primary counts the replica as online (ROLE lists it, WAIT can count
    // its acknowledgements) only after its first REPLCONF ACK, up to a second
    // after the replica reports the link up.
    absl::StatusOr<ReplyPtr> role = Raw(nodes_[p]->port(), {"ROLE"});
    if (!role.ok()) return role.status();
    if ((*role)->type != REDIS_REPLY_ARRAY || (*role)->elements < 3 ||
        (*role)->element[2]->type != REDIS_REPLY_ARRAY || (*role)->element[2]->elements != 1) {
      return absl::UnavailableError("the primary does not list the replica as online");
    }
    // And the stream flows: a fresh primary's first replica may be "online"
    // for about a second before it receives any write (Redis 7.0).
    absl::StatusOr<ReplyPtr> acked = RawSequence(
        nodes_[p]->port(), {{"SET", "topology:probe", "1"}, {"WAIT", "1", "100"}});
    if (!acked.ok()) return acked.status();
    if ((*acked)->type != REDIS_REPLY_INTEGER || (*acked)->integer != 1) {
      return absl::UnavailableError("the replica does not acknowledge writes yet");
    }
    for (size_t i = 0; i < sentinel_ports_.size(); ++i) {
      const std::string where = absl::StrCat("sentinel ", sentinel_ports_[i]);
      absl::StatusOr<ReplyPtr> addr = Raw(
          sentinel_ports_[i], {"SENTINEL", "get-master-addr-by-name", options_.master_name});
      if (!addr.ok()) return addr.status();
      if ((*addr)->type != REDIS_REPLY_ARRAY || (*addr)->elements != 2 ||
          Str((*addr)->element[1]) != absl::StrCat(nodes_[p]->port())) {
        return absl::UnavailableError(absl::StrCat(where, " does not name node ", p));
      }
      absl::StatusOr<ReplyPtr> replicas =
          Raw(sentinel_ports_[i], {"SENTINEL", "replicas", options_.master_name});
      if (!replicas.ok()) return replicas.status();
      bool replica_ok = false;
      for (size_t k = 0; (*replicas)->type == REDIS_REPLY_ARRAY && k < (*replicas)->elements;
           ++k) {
        const redisReply* e = (*replicas)->element[k];
        if (Field(e, "port") == absl::StrCat(nodes_[r]->port()) &&
            Field(e, "flags") == "slave" && Field(e, "master-link-status") == "ok") {
          replica_ok = true;
        }
      }
      if (!replica_ok) return absl::UnavailableError(absl::StrCat(where, ": replica not seen"));
      absl::StatusOr<ReplyPtr> peers =
          Raw(sentinel_ports_[i], {"SENTINEL", "sentinels", options_.master_name});
      if (!peers.ok()) return peers.status();
      if ((*peers)->type != REDIS_REPLY_ARRAY ||
          (*peers)->elements + 1 != sentinel_ports_.size()) {
        return absl::UnavailableError(absl::StrCat(where, ": does not know its peers yet"));
      }
    }
    return absl::OkStatus();
  });
}

absl::Status SentinelTopology::WaitForPrimary(int index, absl::Duration timeout) {
  return WaitUntil(timeout, absl::StrCat("node ", index, " as primary"), [&]() -> absl::Status {
    for (int port : sentinel_ports_) {
      absl::StatusOr<ReplyPtr> addr =
          Raw(port, {"SENTINEL", "get-master-addr-by-name", options_.master_name});
      if (!addr.ok()) return addr.status();
      if ((*addr)->type != REDIS_REPLY_ARRAY || (*addr)->elements != 2 ||
          Str((*addr)->element[1]) != absl::StrCat(nodes_[index]->port())) {
        return absl::UnavailableError(absl::StrCat("sentinel ", port, " not switched"));
      }
    }
    absl::StatusOr<ReplyPtr> role = Raw(nodes_[index]->port(), {"ROLE"});
    if (!role.ok()) return role.status();
    if ((*role)->type != REDIS_REPLY_ARRAY || Str((*role)->element[0]) != "master") {
      return absl::UnavailableError("not promoted yet");
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<int> SentinelTopology::Failover(absl::Duration timeout) {
  const int p = PrimaryIndex();
  if (p < 0) return absl::FailedPreconditionError("no single primary to fail over");
  const absl::Time deadline = absl::Now() + timeout;
  absl::Status started = WaitUntil(timeout, "SENTINEL FAILOVER accepted", [&] {
    absl::StatusOr<std::string> r =
        SentinelCommand(0, {"SENTINEL", "FAILOVER", options_.master_name});
    return r.status();  // NOGOODSLAVE / INPROG: try again
  });
  if (!started.ok()) return started;
  if (absl::Status s = WaitForPrimary(1 - p, deadline - absl::Now()); !s.ok()) return s;
  return 1 - p;
}

void SentinelTopology::KillSentinels() {
  for (auto& p : sentinel_processes_) p->Kill();
}

std::string SentinelTopology::Logs() const {
  std::string out;
  auto tail = [](const std::string& text) {
    return text.size() > 3000 ? text.substr(text.size() - 3000) : text;
  };
  for (size_t i = 0; i < nodes_.size(); ++i) {
    std::ifstream in(nodes_[i]->log_path());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    absl::StrAppend(&out, "---- node ", i, " (port ", nodes_[i]->port(), ")\n", tail(text));
  }
  for (size_t i = 0; i < sentinel_processes_.size(); ++i) {
    absl::StrAppend(&out, "---- sentinel ", sentinel_ports_[i], "\n",
                    tail(sentinel_processes_[i]->ReadOutput()));
  }
  return out;
}

}  // namespace oauthd::storage::testing_internal
