#include "server/gateway/device_page.h"

#include "absl/strings/str_cat.h"
#include "server/gateway/html.h"

namespace oauthd::gateway {
namespace {

void AppendMessage(std::string& html, absl::string_view message) {
  if (message.empty()) return;
  absl::StrAppend(&html, "<p class=\"error\" role=\"alert\" id=\"message\">",
                  HtmlEscape(message), "</p>\n");
}

}  // namespace

std::string RenderDeviceCodePage(const DeviceCodePageModel& model) {
  std::string html = HtmlPageHead("Connect a device");
  absl::StrAppend(&html,
                  "<h1>Connect a device</h1>\n"
                  "<p>Enter the code shown on your device.</p>\n");
  AppendMessage(html, model.message);
  absl::StrAppend(
      &html, "<form method=\"get\" action=\"", HtmlEscape(model.form_action), "\">\n",
      "<div class=\"field\"><label for=\"user_code\">Code</label>"
      "<input id=\"user_code\" name=\"user_code\" class=\"usercode\" type=\"text\" "
      "autocomplete=\"one-time-code\" autocapitalize=\"characters\" spellcheck=\"false\" "
      "placeholder=\"XXXX-XXXX\" maxlength=\"20\" required autofocus value=\"",
      HtmlEscape(model.user_code),
      "\"></div>\n<div class=\"actions\"><button type=\"submit\">Continue</button></div>\n"
      "</form>\n",
      HtmlPageTail());
  return html;
}

std::string RenderDeviceConfirmPage(const DeviceConfirmPageModel& model) {
  const std::string client =
      HtmlEscape(model.client_name.empty() ? model.client_id : model.client_name);
  std::string html = HtmlPageHead("Connect a device");
  absl::StrAppend(&html, "<h1>Connect ", client, "</h1>\n",
                  "<p>Check that your device shows this code:</p>\n"
                  "<p class=\"usercode\" id=\"user_code\">",
                  HtmlEscape(model.user_code), "</p>\n", "<p><strong>", client,
                  "</strong> asks for access to your account. Sign in and approve, or deny "
                  "the request. If you did not start this on a device of yours, deny it.</p>\n");
  AppendMessage(html, model.message);
  absl::StrAppend(&html, "<form method=\"post\" action=\"", HtmlEscape(model.form_action),
                  "\">\n");
  for (const auto& [name, value] : model.hidden_fields) {
    absl::StrAppend(&html, "<input type=\"hidden\" name=\"", HtmlEscape(name), "\" value=\"",
                    HtmlEscape(value), "\">\n");
  }
  absl::StrAppend(
      &html,
      "<div class=\"field\"><label for=\"username\">Username</label>"
      "<input id=\"username\" name=\"username\" type=\"text\" autocomplete=\"username\" "
      "autocapitalize=\"none\" spellcheck=\"false\" required autofocus value=\"",
      HtmlEscape(model.username),
      "\"></div>\n"
      "<div class=\"field\"><label for=\"password\">Password</label>"
      "<input id=\"password\" name=\"password\" type=\"password\" "
      "autocomplete=\"current-password\" required></div>\n"
      "<fieldset><legend>Requested access</legend>\n");
  if (model.scopes.empty()) {
    absl::StrAppend(&html, "<p>Basic access (no specific scope requested).</p>\n");
  } else {
    absl::StrAppend(&html, "<ul>\n");
    for (const std::string& scope : model.scopes) {
      absl::StrAppend(&html, "<li><code>", HtmlEscape(scope), "</code></li>\n");
    }
    absl::StrAppend(&html, "</ul>\n");
  }
  absl::StrAppend(&html,
                  "</fieldset>\n<div class=\"actions\">"
                  "<button type=\"submit\" name=\"action\" value=\"approve\">Approve</button>"
                  "<button type=\"submit\" name=\"action\" value=\"deny\" formnovalidate "
                  "class=\"secondary\">Deny</button></div>\n</form>\n",
                  HtmlPageTail());
  return html;
}

std::string RenderDeviceDonePage(bool approved, absl::string_view client_name) {
  std::string html = HtmlPageHead(approved ? "Device connected" : "Request denied");
  if (approved) {
    absl::StrAppend(&html, "<h1 id=\"outcome\">Device connected</h1>\n<p>",
                    HtmlEscape(client_name),
                    " now has access. You can close this page and return to your device.</p>\n");
  } else {
    absl::StrAppend(&html, "<h1 id=\"outcome\">Request denied</h1>\n<p>",
                    HtmlEscape(client_name),
                    " was not given access. You can close this page.</p>\n");
  }
  absl::StrAppend(&html, HtmlPageTail());
  return html;
}

}  // namespace oauthd::gateway
