#ifndef OAUTHD_SERVER_GRPC_DEVICE_SERVICE_H_
#define OAUTHD_SERVER_GRPC_DEVICE_SERVICE_H_

#include "oauth/v1/device.grpc.pb.h"
#include "server/core/oauth_service.h"
#include "server/grpc/executor.h"

namespace oauthd::grpc_api {

// oauth.v1.DeviceService (RFC 8628) on gRPC's callback API, like
// TokenService: each call runs on an executor, an approval (it checks a
// password) on the login executor. Errors go through ToGrpcStatus.
class DeviceService final : public oauth::v1::DeviceService::CallbackService {
 public:
  // Everything passed in must outlive the service.
  DeviceService(OAuthService& service, Executor& executor, Executor& login_executor)
      : service_(service), executor_(executor), login_executor_(login_executor) {}

  grpc::ServerUnaryReactor* DeviceAuthorize(grpc::CallbackServerContext* ctx,
                                            const oauth::v1::DeviceAuthorizeRequest* request,
                                            oauth::v1::DeviceAuthorizeResponse* response) override;
  grpc::ServerUnaryReactor* VerifyDevice(grpc::CallbackServerContext* ctx,
                                         const oauth::v1::VerifyDeviceRequest* request,
                                         oauth::v1::VerifyDeviceResponse* response) override;

 private:
  OAuthService& service_;
  Executor& executor_;
  Executor& login_executor_;
};

}  // namespace oauthd::grpc_api

#endif  // OAUTHD_SERVER_GRPC_DEVICE_SERVICE_H_
