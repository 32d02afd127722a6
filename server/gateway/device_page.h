#ifndef OAUTHD_SERVER_GATEWAY_DEVICE_PAGE_H_
#define OAUTHD_SERVER_GATEWAY_DEVICE_PAGE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace oauthd::gateway {

// The pages of the device verification URI (/device, RFC 8628 §3.3). Plain
// HTML with the shared style (html.h), no JavaScript; every value is escaped.

// Form fields of the verification page.
inline constexpr absl::string_view kUserCodeField = "user_code";

// Step 1: the user types the code shown on the device. The form is a GET to
// `form_action`, so step 2 has the code in its URL like
// verification_uri_complete.
struct DeviceCodePageModel {
  std::string user_code;  // pre-filled (after a wrong code)
  std::string message;    // shown as an error when not empty
  std::string form_action = "/device";
};
std::string RenderDeviceCodePage(const DeviceCodePageModel& model);

// Step 2: the code matched; the user compares it with the device, signs in
// and approves, or denies. Posts to `form_action` with `hidden_fields`
// (user code, display fields, CSRF token), username, password and action.
struct DeviceConfirmPageModel {
  std::string client_name;
  std::string client_id;
  std::vector<std::string> scopes;
  std::string user_code;  // XXXX-XXXX
  std::vector<std::pair<std::string, std::string>> hidden_fields;
  std::string username;
  std::string message;
  std::string form_action = "/device";
};
std::string RenderDeviceConfirmPage(const DeviceConfirmPageModel& model);

// Step 3: the decision was recorded; the user goes back to the device.
std::string RenderDeviceDonePage(bool approved, absl::string_view client_name);

}  // namespace oauthd::gateway

#endif  // OAUTHD_SERVER_GATEWAY_DEVICE_PAGE_H_
