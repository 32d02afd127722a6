// oauthd-load: a gRPC load generator for oauthd.
//
// Keeps --concurrency calls in flight (callback API, no thread per caller)
// for --duration and prints throughput, p50/p90/p99 latency and error counts,
// next to the ceilings DESIGN.md gives for this machine, so every run says how
// close to the signature and RPC costs we are.
//
//   oauthd-load --address=127.0.0.1:50051 --client_id=ID --client_secret=S
//               --rpc=issue|introspect|check|echo --concurrency=64 --duration=10s
//               [--rate=N]
//
// --rate=N starts N calls per second on a fixed schedule instead of as fast
// as possible, to read latency at a given load (e.g. half the maximum).
// --rpc=echo drives bench/echo_server, the trivial gRPC service whose rate is
// the RPC ceiling of this machine.
//
// --rpc=refresh rotates refresh tokens (RefreshToken): each caller starts
// from one line of --refresh_tokens (bench/oauthd-mint --kind=refresh) and
// goes on with the token each rotation returns, so every token is used once.
//
// --rpc=check drives envoy.service.auth.v3.Authorization/Check with Envoy-
// shaped requests cycling over a mix of paths, each with its expected answer
// (an allowed GET /orders/<n>, a POST /orders denied for a missing scope, an
// anonymous /public/<n>), against oauthd started with bench/authz-policy.yaml;
// the client must have audience orders-api and scope orders.read.

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <condition_variable>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "envoy/service/auth/v3/external_auth.grpc.pb.h"
#include "echo.grpc.pb.h"
#include "oauth/v1/token.grpc.pb.h"

ABSL_FLAG(std::string, address, "127.0.0.1:50051", "oauthd address");
ABSL_FLAG(std::string, client_id, "", "client (confidential, client_credentials allowed)");
ABSL_FLAG(std::string, client_secret, "", "its secret");
ABSL_FLAG(std::string, rpc, "issue",
          "issue (IssueToken client_credentials), introspect, refresh (rotation chains), "
          "check (ext_authz), or echo "
          "(bench/echo_server: the gRPC ceiling)");
ABSL_FLAG(std::string, token, "",
          "introspect: this token (e.g. a user's, whose grant and owners are checked) "
          "instead of a client_credentials token minted at start");
ABSL_FLAG(std::string, refresh_tokens, "",
          "refresh: file with one refresh token per line, at least one per caller");
ABSL_FLAG(int, concurrency, 64, "calls kept in flight (with --rate: callers available)");
ABSL_FLAG(double, rate, 0,
          "calls started per second on a fixed schedule (latency counted from each "
          "call's scheduled start); 0: as fast as --concurrency allows");
ABSL_FLAG(int, echo_bytes, 700, "echo: payload size sent and returned (about a Check's size)");
ABSL_FLAG(int, channels, 2, "gRPC channels (connections) to spread calls over");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "measuring time");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(1), "unmeasured time before measuring");
ABSL_FLAG(double, ceiling, 0, "expected ceiling in req/s to compare with (0: none)");
ABSL_FLAG(std::string, ceiling_label, "", "what the ceiling is");

namespace {

struct Stats {
  std::mutex mu;
  std::vector<double> latencies_us;
  std::map<std::string, int64_t> errors;
};

class Caller;

// Starts calls at --rate per second, each on an idle caller; waits for one
// when all are busy (that wait is charged to the call's latency).
class Pacer {
 public:
  Pacer(double rate, absl::Time end) : rate_(rate), end_(end) {}

  void Idle(Caller* caller) {
    std::lock_guard<std::mutex> lock(mu_);
    idle_.push_back(caller);
    cv_.notify_one();
  }

  // Runs until `end`, then until every caller is idle again.
  void Run(size_t callers) {
    const absl::Time t0 = absl::Now();
    for (int64_t k = 0;; ++k) {
      const absl::Time scheduled = t0 + absl::Seconds(k / rate_);
      if (scheduled >= end_) break;
      absl::SleepFor(scheduled - absl::Now());
      Caller* caller;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return !idle_.empty(); });
        caller = idle_.back();
        idle_.pop_back();
      }
      StartCall(caller, scheduled);
    }
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return idle_.size() == callers; });
  }

 private:
  static void StartCall(Caller* caller, absl::Time scheduled);

  const double rate_;
  const absl::Time end_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Caller*> idle_;
};

class Caller {
 public:
  Caller(oauth::v1::TokenService::Stub* stub, Stats* stats, absl::Time warm, absl::Time end,
         std::atomic<int>* running, absl::Notification* done)
      : stub_(stub), stats_(stats), warm_(warm), end_(end), running_(running), done_(done) {}

  void SetIssue(const oauth::v1::IssueTokenRequest& r) { issue_ = r; }
  // Rotation chain: `r` carries this caller's first refresh token.
  void SetRefresh(const oauth::v1::RefreshTokenRequest& r) {
    refresh_ = r;
    is_refresh_ = true;
  }
  void SetIntrospect(const oauth::v1::IntrospectRequest& r) {
    introspect_ = r;
    is_introspect_ = true;
  }
  // Check requests with the answer each must get (true: allowed).
  void SetChecks(envoy::service::auth::v3::Authorization::Stub* stub,
                 const std::vector<std::pair<envoy::service::auth::v3::CheckRequest, bool>>*
                     checks,
                 size_t first) {
    authz_stub_ = stub;
    checks_ = checks;
    next_check_ = first;
  }

  void SetEcho(bench::Echo::Stub* stub, const bench::EchoMessage* message) {
    echo_stub_ = stub;
    echo_ = message;
  }
  // Paced mode: calls are started by `pacer` at scheduled instants, and a
  // finished caller goes back to it instead of calling again at once.
  void SetPacer(Pacer* pacer) { pacer_ = pacer; }

  // Closed loop: the next call as soon as the previous one ends.
  void Next() {
    if (absl::Now() >= end_) {
      Flush();
      if (--*running_ == 0) done_->Notify();
      return;
    }
    Start(absl::Now());
  }

  // Starts a call meant to start at `scheduled`; its latency counts from
  // then, so a call that had to wait for a free caller is charged the wait
  // (no coordinated omission).
  void Start(absl::Time scheduled) {
    ctx_ = std::make_unique<grpc::ClientContext>();
    ctx_->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    start_ = scheduled;
    auto on_done = [this](grpc::Status s) { Done(s); };
    if (echo_stub_ != nullptr) {
      echo_stub_->async()->Echo(ctx_.get(), echo_, &echo_out_, on_done);
    } else if (checks_ != nullptr) {
      current_check_ = next_check_++ % checks_->size();
      authz_stub_->async()->Check(ctx_.get(), &(*checks_)[current_check_].first, &check_out_,
                                  on_done);
    } else if (is_refresh_) {
      stub_->async()->RefreshToken(ctx_.get(), &refresh_, &issue_out_, on_done);
    } else if (is_introspect_) {
      stub_->async()->Introspect(ctx_.get(), &introspect_, &introspect_out_, on_done);
    } else {
      stub_->async()->IssueToken(ctx_.get(), &issue_, &issue_out_, on_done);
    }
  }

 private:
  void Done(const grpc::Status& s) {
    const absl::Time now = absl::Now();
    // A rotation returns the chain's next token (also during warm-up).
    if (is_refresh_ && s.ok()) refresh_.set_refresh_token(issue_out_.refresh_token());
    if (start_ >= warm_ && now <= end_) {
      bool as_expected = s.ok() && (!is_introspect_ || introspect_out_.active());
      if (s.ok() && echo_stub_ != nullptr) {
        as_expected = echo_out_.payload().size() == echo_->payload().size();
      }
      if (s.ok() && checks_ != nullptr) {
        as_expected = check_out_.has_ok_response() == (*checks_)[current_check_].second;
      }
      if (as_expected) {
        latencies_.push_back(absl::ToDoubleMicroseconds(now - start_));
      } else {
        ++errors_[!s.ok()            ? s.error_message()
                  : checks_ != nullptr ? absl::StrCat("unexpected decision: ",
                                                      check_out_.status().message())
                                       : "inactive"];
      }
    }
    if (pacer_ != nullptr) {
      pacer_->Idle(this);
    } else {
      Next();
    }
  }

 public:
  void Flush() {
    std::lock_guard<std::mutex> lock(stats_->mu);
    stats_->latencies_us.insert(stats_->latencies_us.end(), latencies_.begin(),
                                latencies_.end());
    for (auto& [k, v] : errors_) stats_->errors[k] += v;
  }

 private:
  oauth::v1::TokenService::Stub* stub_;
  Stats* stats_;
  const absl::Time warm_, end_;
  std::atomic<int>* running_;
  absl::Notification* done_;
  bool is_introspect_ = false;
  envoy::service::auth::v3::Authorization::Stub* authz_stub_ = nullptr;
  const std::vector<std::pair<envoy::service::auth::v3::CheckRequest, bool>>* checks_ =
      nullptr;
  size_t next_check_ = 0;
  size_t current_check_ = 0;
  envoy::service::auth::v3::CheckResponse check_out_;
  bench::Echo::Stub* echo_stub_ = nullptr;
  const bench::EchoMessage* echo_ = nullptr;
  bench::EchoMessage echo_out_;
  Pacer* pacer_ = nullptr;
  oauth::v1::IssueTokenRequest issue_;
  oauth::v1::TokenResponse issue_out_;
  oauth::v1::IntrospectRequest introspect_;
  oauth::v1::IntrospectResponse introspect_out_;
  oauth::v1::RefreshTokenRequest refresh_;
  bool is_refresh_ = false;
  std::unique_ptr<grpc::ClientContext> ctx_;
  absl::Time start_;
  std::vector<double> latencies_;
  std::map<std::string, int64_t> errors_;
};

void Pacer::StartCall(Caller* caller, absl::Time scheduled) { caller->Start(scheduled); }

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5));
  std::nth_element(v.begin(), v.begin() + i, v.end());
  return v[i];
}

}  // namespace

int main(int argc, char** argv) {
  // Debian builds Abseil without NDEBUG, which leaves Mutex deadlock
  // detection on: every lock of ours and of gRPC's records lock order in one
  // process-wide graph behind a global spin lock.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::ParseCommandLine(argc, argv);
  const std::string rpc = absl::GetFlag(FLAGS_rpc);
  if (rpc != "issue" && rpc != "introspect" && rpc != "check" && rpc != "echo" &&
      rpc != "refresh") {
    std::fprintf(stderr, "--rpc must be issue, introspect, refresh, check or echo\n");
    return 2;
  }
  std::vector<std::unique_ptr<oauth::v1::TokenService::Stub>> stubs;
  for (int i = 0; i < std::max(1, absl::GetFlag(FLAGS_channels)); ++i) {
    grpc::ChannelArguments args;
    args.SetInt("grpc.channel_id", i);  // distinct channels, distinct connections
    stubs.push_back(oauth::v1::TokenService::NewStub(grpc::CreateCustomChannel(
        absl::GetFlag(FLAGS_address), grpc::InsecureChannelCredentials(), args)));
  }

  oauth::v1::IssueTokenRequest issue;
  issue.mutable_client()->set_client_id(absl::GetFlag(FLAGS_client_id));
  issue.mutable_client()->set_client_secret(absl::GetFlag(FLAGS_client_secret));
  issue.mutable_client_credentials();
  oauth::v1::IntrospectRequest introspect;
  if (rpc == "introspect" && !absl::GetFlag(FLAGS_token).empty()) {
    *introspect.mutable_client() = issue.client();
    introspect.set_token(absl::GetFlag(FLAGS_token));
  } else if (rpc == "introspect") {
    oauth::v1::TokenResponse token;
    grpc::ClientContext ctx;
    grpc::Status s = stubs[0]->IssueToken(&ctx, issue, &token);
    if (!s.ok()) {
      std::fprintf(stderr, "cannot get a token to introspect: %s\n", s.error_message().c_str());
      return 1;
    }
    *introspect.mutable_client() = issue.client();
    introspect.set_token(token.access_token());
  }

  std::vector<std::unique_ptr<envoy::service::auth::v3::Authorization::Stub>> authz_stubs;
  std::vector<std::pair<envoy::service::auth::v3::CheckRequest, bool>> checks;
  if (rpc == "check") {
    oauth::v1::TokenResponse token;
    grpc::ClientContext ctx;
    grpc::Status s = stubs[0]->IssueToken(&ctx, issue, &token);
    if (!s.ok()) {
      std::fprintf(stderr, "cannot get a token: %s\n", s.error_message().c_str());
      return 1;
    }
    for (int i = 0; i < std::max(1, absl::GetFlag(FLAGS_channels)); ++i) {
      grpc::ChannelArguments args;
      args.SetInt("grpc.channel_id", 100 + i);
      authz_stubs.push_back(envoy::service::auth::v3::Authorization::NewStub(
          grpc::CreateCustomChannel(absl::GetFlag(FLAGS_address),
                                    grpc::InsecureChannelCredentials(), args)));
    }
    for (int i = 0; i < 64; ++i) {
      envoy::service::auth::v3::CheckRequest r;
      auto* http = r.mutable_attributes()->mutable_request()->mutable_http();
      http->set_host("api.bench");
      (*http->mutable_headers())["user-agent"] = "oauthd-load";
      bool allowed = true;
      switch (i % 4) {
        case 0:
        case 1:
          http->set_method("GET");
          http->set_path(absl::StrCat("/orders/", i, "?expand=items"));
          break;
        case 2:  // needs orders.write, which the token lacks
          http->set_method("POST");
          http->set_path("/orders");
          allowed = false;
          break;
        default:
          http->set_method("GET");
          http->set_path(absl::StrCat("/public/", i));
          break;
      }
      if (i % 4 != 3) {
        (*http->mutable_headers())["authorization"] = "Bearer " + token.access_token();
      }
      checks.emplace_back(std::move(r), allowed);
    }
  }

  std::vector<std::unique_ptr<bench::Echo::Stub>> echo_stubs;
  bench::EchoMessage echo;
  if (rpc == "echo") {
    for (int i = 0; i < std::max(1, absl::GetFlag(FLAGS_channels)); ++i) {
      grpc::ChannelArguments args;
      args.SetInt("grpc.channel_id", 200 + i);
      echo_stubs.push_back(bench::Echo::NewStub(grpc::CreateCustomChannel(
          absl::GetFlag(FLAGS_address), grpc::InsecureChannelCredentials(), args)));
    }
    echo.set_payload(std::string(std::max(0, absl::GetFlag(FLAGS_echo_bytes)), 'x'));
  }

  const int n = absl::GetFlag(FLAGS_concurrency);
  std::vector<std::string> refresh_tokens;
  if (rpc == "refresh") {
    std::ifstream in(absl::GetFlag(FLAGS_refresh_tokens));
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) refresh_tokens.push_back(line);
    }
    if (static_cast<int>(refresh_tokens.size()) < n) {
      std::fprintf(stderr, "--refresh_tokens must hold at least %d tokens (one per caller)\n", n);
      return 2;
    }
  }
  Stats stats;
  const double rate = absl::GetFlag(FLAGS_rate);
  const absl::Time warm = absl::Now() + absl::GetFlag(FLAGS_warmup);
  const absl::Time end = warm + absl::GetFlag(FLAGS_duration);
  std::atomic<int> running{n};
  absl::Notification done;
  std::vector<std::unique_ptr<Caller>> callers;
  for (int i = 0; i < n; ++i) {
    callers.push_back(std::make_unique<Caller>(stubs[i % stubs.size()].get(), &stats, warm,
                                               end, &running, &done));
    if (rpc == "introspect") callers.back()->SetIntrospect(introspect);
    else callers.back()->SetIssue(issue);
    if (rpc == "refresh") {
      oauth::v1::RefreshTokenRequest refresh;
      *refresh.mutable_client() = issue.client();
      refresh.set_refresh_token(refresh_tokens[i]);
      callers.back()->SetRefresh(refresh);
    }
    if (rpc == "check") {
      callers.back()->SetChecks(authz_stubs[i % authz_stubs.size()].get(), &checks, i);
    }
    if (rpc == "echo") callers.back()->SetEcho(echo_stubs[i % echo_stubs.size()].get(), &echo);
  }
  if (rate > 0) {
    Pacer pacer(rate, end);
    for (auto& c : callers) {
      c->SetPacer(&pacer);
      pacer.Idle(c.get());
    }
    pacer.Run(callers.size());
    for (auto& c : callers) c->Flush();
  } else {
    for (auto& c : callers) c->Next();
    done.WaitForNotification();
  }

  const double seconds = absl::ToDoubleSeconds(absl::GetFlag(FLAGS_duration));
  const double rps = stats.latencies_us.size() / seconds;
  int64_t errors = 0;
  for (auto& [k, v] : stats.errors) errors += v;
  std::printf("rpc=%s concurrency=%d%s duration=%.0fs ok=%zu errors=%lld\n", rpc.c_str(), n,
              rate > 0 ? absl::StrCat(" rate=", rate, "/s").c_str() : "", seconds,
              stats.latencies_us.size(), static_cast<long long>(errors));
  std::printf("throughput %.0f req/s  latency p50 %.0f us  p90 %.0f us  p99 %.0f us\n", rps,
              Percentile(stats.latencies_us, 0.50), Percentile(stats.latencies_us, 0.90),
              Percentile(stats.latencies_us, 0.99));
  for (auto& [k, v] : stats.errors) std::printf("  error x%lld: %s\n", (long long)v, k.c_str());
  if (absl::GetFlag(FLAGS_ceiling) > 0) {
    std::printf("ceiling %.0f req/s (%s): reached %.0f%%\n", absl::GetFlag(FLAGS_ceiling),
                absl::GetFlag(FLAGS_ceiling_label).c_str(),
                100.0 * rps / absl::GetFlag(FLAGS_ceiling));
  }
  return errors > 0 ? 1 : 0;
}
