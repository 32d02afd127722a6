#include "server/oauthd/http_frontend.h"

#include <grpcpp/support/client_interceptor.h>

#include <boost/asio/post.hpp>
#include <future>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/grpc/request_context.h"

namespace oauthd {
namespace {

gateway::GatewayConfig GatewayConfigFor(const HttpFrontendOptions& options) {
  gateway::GatewayConfig config;
  config.issuer = options.issuer;
  while (absl::EndsWith(config.issuer, "/")) config.issuer.pop_back();
  // The browser sees https: served with TLS, or an https issuer behind a
  // TLS-terminating proxy (as oauth-gateway decides).
  config.secure_cookies = options.tls != nullptr || absl::StartsWith(config.issuer, "https://");
  config.trusted_proxies = options.trusted_proxies;
  // One process, one issuer: nothing to compare (issuer_agreement stays null).
  return config;
}

gateway::HttpServerOptions ServerOptionsFor(const HttpFrontendOptions& options) {
  gateway::HttpServerOptions server;
  server.endpoint = options.endpoint;
  server.trusted_proxies = options.trusted_proxies;
  server.tls = options.tls;
  // As oauth-gateway's --hsts default: only where the browser sees https.
  if (options.tls != nullptr || absl::StartsWith(options.issuer, "https://")) {
    server.strict_transport_security = "max-age=31536000";
  }
  return server;
}

// Marks every call as coming from this process's HTTP endpoints.
class InProcessMarker final : public grpc::experimental::Interceptor {
 public:
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->emplace(grpc_api::kInProcessMetadata,
                                                 grpc_api::InProcessCallKey());
    }
    methods->Proceed();
  }
};

class InProcessMarkerFactory final
    : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo*) override {
    return new InProcessMarker();
  }
};

std::shared_ptr<grpc::Channel> MarkedInProcessChannel(grpc::Server& server) {
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> marker;
  marker.push_back(std::make_unique<InProcessMarkerFactory>());
  return server.experimental().InProcessChannelWithInterceptors(grpc::ChannelArguments(),
                                                                std::move(marker));
}

}  // namespace

HttpFrontend::HttpFrontend(const HttpFrontendOptions& options, gateway::CsrfProtector csrf,
                           std::shared_ptr<grpc::Channel> channel)
    : io_(options.threads),
      csrf_(std::move(csrf)),
      gateway_(GatewayConfigFor(options), std::move(channel), metrics_, csrf_),
      server_(io_, ServerOptionsFor(options),
              [this](gateway::HttpRequest request, const gateway::ConnectionInfo& connection,
                     gateway::Respond respond) {
                gateway_.Handle(std::move(request), connection, std::move(respond));
              },
              metrics_) {}

absl::StatusOr<std::unique_ptr<HttpFrontend>> HttpFrontend::Start(
    const HttpFrontendOptions& options, gateway::CsrfProtector csrf, grpc::Server& server) {
  std::unique_ptr<HttpFrontend> frontend(
      new HttpFrontend(options, std::move(csrf), MarkedInProcessChannel(server)));
  if (absl::Status started = frontend->server_.Start(); !started.ok()) {
    return absl::UnavailableError(absl::StrCat("--http_listen: ", started.message()));
  }
  const int threads = options.threads < 1 ? 1 : options.threads;
  for (int i = 0; i < threads; ++i) {
    frontend->threads_.emplace_back([io = &frontend->io_] { io->run(); });
  }
  return frontend;
}

void HttpFrontend::Shutdown(absl::Duration grace) {
  gateway_.SetDraining();
  auto drained = std::make_shared<std::promise<void>>();
  std::future<void> done = drained->get_future();
  // HttpServer's state belongs to its io threads.
  boost::asio::post(io_, [this, drained] {
    server_.Shutdown([drained] { drained->set_value(); });
  });
  done.wait_for(absl::ToChronoMilliseconds(grace));
  io_.stop();
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
}

}  // namespace oauthd
