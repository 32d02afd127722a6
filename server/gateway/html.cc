#include "server/gateway/html.h"

#include <openssl/evp.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace oauthd::gateway {
namespace {

constexpr absl::string_view kStyle =
    "body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1d1f23;margin:0}"
    "main{max-width:26rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:8px;"
    "box-shadow:0 1px 4px rgba(0,0,0,.15)}"
    "h1{font-size:1.35rem;margin-top:0}"
    ".field{margin:1rem 0}"
    "label{display:block;font-weight:600;margin-bottom:.3rem}"
    "input{width:100%;box-sizing:border-box;padding:.55rem;font-size:1rem;"
    "border:1px solid #8a8f98;border-radius:4px}"
    "input:focus,button:focus{outline:3px solid #2f6fde;outline-offset:1px}"
    "fieldset{border:1px solid #d5d8de;border-radius:4px;margin:1rem 0}"
    "legend{font-weight:600}"
    ".actions{display:flex;gap:.75rem;margin-top:1.5rem}"
    "button{flex:1;padding:.65rem;font-size:1rem;border-radius:4px;border:1px solid #1f57c3;"
    "background:#1f57c3;color:#fff;cursor:pointer}"
    "button.secondary{background:#fff;color:#1f57c3}"
    ".error{background:#fdecea;border:1px solid #d93025;color:#8c1d18;padding:.6rem;"
    "border-radius:4px}"
    "code{background:#f0f1f3;padding:0 .2rem}"
    ".usercode{font:600 1.6rem monospace;letter-spacing:.12em;text-align:center}";

}  // namespace

std::string HtmlPageHead(absl::string_view title) {
  return absl::StrCat(
      "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"referrer\" content=\"no-referrer\">\n<title>",
      HtmlEscape(title), "</title>\n<style>", kStyle, "</style>\n</head>\n<body>\n<main>\n");
}

absl::string_view HtmlPageTail() { return "</main>\n</body>\n</html>\n"; }

namespace {

std::string PageHead(absl::string_view title) { return HtmlPageHead(title); }

constexpr absl::string_view kPageTail = "</main>\n</body>\n</html>\n";

}  // namespace

std::string HtmlEscape(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string RenderLoginPage(const LoginPageModel& model) {
  const std::string client =
      HtmlEscape(model.client_name.empty() ? model.client_id : model.client_name);
  std::string html = PageHead(
      absl::StrCat("Sign in to ", model.client_name.empty() ? model.client_id : model.client_name));
  absl::StrAppend(&html, "<h1>Sign in to continue to ", client, "</h1>\n");
  absl::StrAppend(&html, "<p><strong>", client,
                  "</strong> asks for access to your account. Sign in and approve, or "
                  "deny the request.</p>\n");
  if (!model.message.empty()) {
    absl::StrAppend(&html, "<p class=\"error\" role=\"alert\" id=\"message\">",
                    HtmlEscape(model.message), "</p>\n");
  }
  absl::StrAppend(&html, "<form method=\"post\" action=\"", HtmlEscape(model.form_action), "\">\n");
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
                  kPageTail);
  return html;
}

std::string RenderErrorPage(absl::string_view title, absl::string_view error,
                            absl::string_view description) {
  std::string html = PageHead(title);
  absl::StrAppend(&html, "<h1>", HtmlEscape(title), "</h1>\n<p class=\"error\" role=\"alert\">",
                  HtmlEscape(description.empty() ? error : description), "</p>\n");
  if (!error.empty()) {
    absl::StrAppend(&html, "<p>Error code: <code>", HtmlEscape(error), "</code></p>\n");
  }
  absl::StrAppend(&html,
                  "<p>Return to the application you came from and try again. If the "
                  "problem persists, contact its developer.</p>\n",
                  kPageTail);
  return html;
}

const std::string& PageContentSecurityPolicy() {
  static const std::string* const kPolicy = [] {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    EVP_Digest(kStyle.data(), kStyle.size(), digest, &digest_len, EVP_sha256(), nullptr);
    const std::string hash =
        absl::Base64Escape(absl::string_view(reinterpret_cast<char*>(digest), digest_len));
    return new std::string(absl::StrCat("default-src 'none'; style-src 'sha256-", hash,
                                        "'; frame-ancestors 'none'; base-uri 'none'"));
  }();
  return *kPolicy;
}

}  // namespace oauthd::gateway
