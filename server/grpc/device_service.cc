#include "server/grpc/device_service.h"

#include "server/grpc/offload.h"
#include "server/grpc/request_context.h"

namespace oauthd::grpc_api {

using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;

ServerUnaryReactor* DeviceService::DeviceAuthorize(
    CallbackServerContext* ctx, const oauth::v1::DeviceAuthorizeRequest* request,
    oauth::v1::DeviceAuthorizeResponse* response) {
  return Offload(ctx, executor_, response,
                 [this, request] { return service_.DeviceAuthorize(*request); });
}

ServerUnaryReactor* DeviceService::VerifyDevice(CallbackServerContext* ctx,
                                                const oauth::v1::VerifyDeviceRequest* request,
                                                oauth::v1::VerifyDeviceResponse* response) {
  const bool checks_password = request->decision() == oauth::v1::VerifyDeviceRequest::APPROVE;
  return Offload(ctx, checks_password ? login_executor_ : executor_, response,
                 [this, request, context = ContextOf(*ctx)] {
                   return service_.VerifyDevice(*request, context);
                 });
}

}  // namespace oauthd::grpc_api
