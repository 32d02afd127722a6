// gateway_test_upstream: a real gRPC server that the gateway's end-to-end
// tests put in oauthd's place where oauthd cannot (yet) show what a test
// needs to observe:
//  - which gRPC metadata the gateway sends: every call is logged to stdout as
//    one line "<full method> oauthd-source-address=<value>" (value "-" when
//    the key is absent or empty), and IssueToken/RefreshToken answer with the
//    value as access_token, Introspect with it as username (active);
//  - how the gateway answers a status oauthd may return: with a status name
//    as second argument (RESOURCE_EXHAUSTED, UNAVAILABLE, ...) every call
//    fails with that status and no OAuth error details;
//  - a gateway connection that is busy for as long as a test needs: with
//    HANG as second argument no call is answered (each ends when the
//    gateway's deadline cancels it), and the log line says when the gateway
//    is waiting.
// Health.Check answers SERVING; other methods an empty message.
//
// Usage: gateway_test_upstream HOST:PORT [STATUS_NAME|HANG]

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/support/byte_buffer.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "grpc/health/v1/health.pb.h"
#include "oauth/v1/token.pb.h"

namespace {

// gRPC runs every reaction of a reactor before OnDone, ordered by its own
// atomics inside libgrpc++, which ThreadSanitizer cannot see (Debian's gRPC
// is not instrumented): deleting the reactor in OnDone looked like a race
// with the reaction before it. Each reaction releases the reactor's address
// when it ends and OnDone acquires it, so a TSan build knows that order too.
// No-ops otherwise.
#if defined(__SANITIZE_THREAD__)  // GCC
#define OAUTHD_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)  // Clang
#define OAUTHD_TEST_TSAN 1
#endif
#endif
#if defined(OAUTHD_TEST_TSAN)
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
class ReactionOrder {
 public:
  explicit ReactionOrder(void* reactor) : reactor_(reactor) { __tsan_acquire(reactor_); }
  ~ReactionOrder() { __tsan_release(reactor_); }
  static void Started(void* reactor) { __tsan_release(reactor); }
  static void AllDone(void* reactor) { __tsan_acquire(reactor); }

 private:
  void* reactor_;
};
#else
class ReactionOrder {
 public:
  explicit ReactionOrder(void*) {}
  static void Started(void*) {}
  static void AllDone(void*) {}
};
#endif

const std::map<std::string, grpc::StatusCode>& StatusNames() {
  static const auto* names = new std::map<std::string, grpc::StatusCode>{
      {"RESOURCE_EXHAUSTED", grpc::StatusCode::RESOURCE_EXHAUSTED},
      {"UNAVAILABLE", grpc::StatusCode::UNAVAILABLE},
      {"INTERNAL", grpc::StatusCode::INTERNAL},
  };
  return *names;
}

grpc::ByteBuffer Serialize(const google::protobuf::Message& message) {
  const std::string bytes = message.SerializeAsString();
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

class Reactor final : public grpc::ServerGenericBidiReactor {
 public:
  Reactor(grpc::GenericCallbackServerContext* context, const grpc::Status& fail, bool hang)
      : context_(context), fail_(fail), hang_(hang) {
    const auto& metadata = context->client_metadata();
    const auto it = metadata.find("oauthd-source-address");
    if (it != metadata.end()) source_.assign(it->second.data(), it->second.size());
    std::printf("%s oauthd-source-address=%s\n", context->method().c_str(),
                source_.empty() ? "-" : source_.c_str());
    std::fflush(stdout);
    ReactionOrder::Started(this);  // before the first reaction can run
    StartRead(&request_);
  }

  void OnReadDone(bool /*ok*/) override {
    ReactionOrder order(this);
    if (hang_) return;  // OnCancel finishes
    if (!fail_.ok()) {
      Finish(fail_);
      return;
    }
    const std::string& method = context_->method();
    if (method == "/oauth.v1.TokenService/IssueToken" ||
        method == "/oauth.v1.TokenService/RefreshToken") {
      oauth::v1::TokenResponse token;
      token.set_access_token(source_.empty() ? "-" : source_);
      token.set_token_type("Bearer");
      token.set_expires_in(60);
      response_ = Serialize(token);
    } else if (method == "/oauth.v1.TokenService/Introspect") {
      oauth::v1::IntrospectResponse introspection;
      introspection.set_active(true);
      introspection.set_username(source_.empty() ? "-" : source_);
      response_ = Serialize(introspection);
    } else if (method == "/grpc.health.v1.Health/Check") {
      grpc::health::v1::HealthCheckResponse health;
      health.set_status(grpc::health::v1::HealthCheckResponse::SERVING);
      response_ = Serialize(health);
    } else {
      response_ = Serialize(oauth::v1::RevokeResponse());  // an empty message
    }
    StartWriteAndFinish(&response_, grpc::WriteOptions(), grpc::Status::OK);
  }

  void OnCancel() override {
    ReactionOrder order(this);
    if (hang_) Finish(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    ReactionOrder::AllDone(this);
    delete this;
  }

 private:
  grpc::GenericCallbackServerContext* context_;
  const grpc::Status fail_;
  const bool hang_;
  std::string source_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
};

class Service final : public grpc::CallbackGenericService {
 public:
  Service(grpc::Status fail, bool hang) : fail_(std::move(fail)), hang_(hang) {}
  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override {
    return new Reactor(context, fail_, hang_);
  }

 private:
  const grpc::Status fail_;
  const bool hang_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s HOST:PORT [STATUS_NAME|HANG]\n", argv[0]);
    return 2;
  }
  grpc::Status fail = grpc::Status::OK;
  const bool hang = argc == 3 && std::string(argv[2]) == "HANG";
  if (argc == 3 && !hang) {
    const auto it = StatusNames().find(argv[2]);
    if (it == StatusNames().end()) {
      std::fprintf(stderr, "unknown status %s\n", argv[2]);
      return 2;
    }
    fail = grpc::Status(it->second, "test upstream fails every call");
  }
  Service service(fail, hang);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(argv[1], grpc::InsecureServerCredentials());
  builder.RegisterCallbackGenericService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) {
    std::fprintf(stderr, "cannot listen on %s\n", argv[1]);
    return 1;
  }
  std::fprintf(stderr, "gateway_test_upstream: listening on %s\n", argv[1]);
  server->Wait();
  return 0;
}
