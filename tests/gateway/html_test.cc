#include "server/gateway/html.h"

#include "gtest/gtest.h"

namespace oauthd::gateway {
namespace {

TEST(HtmlEscapeTest, EscapesMarkupCharacters) {
  EXPECT_EQ(HtmlEscape(R"(<script>alert("x&'y")</script>)"),
            "&lt;script&gt;alert(&quot;x&amp;&#39;y&quot;)&lt;/script&gt;");
  EXPECT_EQ(HtmlEscape("plain é"), "plain é");
}

LoginPageModel Model() {
  LoginPageModel model;
  model.client_name = "Photo <App>";
  model.client_id = "photo";
  model.scopes = {"read", "write\"><b>"};
  model.hidden_fields = {{"client_id", "photo"}, {"state", "\"><script>x</script>"}};
  model.form_action = "/authorize";
  return model;
}

TEST(RenderLoginPageTest, EscapesEverythingFromTheRequest) {
  const std::string html = RenderLoginPage(Model());
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_EQ(html.find("<App>"), std::string::npos);
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  EXPECT_NE(html.find("Photo &lt;App&gt;"), std::string::npos);
  EXPECT_NE(html.find("value=\"&quot;&gt;&lt;script&gt;x&lt;/script&gt;\""), std::string::npos);
}

TEST(RenderLoginPageTest, HasLabelledInputsButtonsAndHiddenFields) {
  const std::string html = RenderLoginPage(Model());
  EXPECT_NE(html.find("<label for=\"username\">"), std::string::npos);
  EXPECT_NE(html.find("<label for=\"password\">"), std::string::npos);
  EXPECT_NE(html.find("id=\"username\" name=\"username\""), std::string::npos);
  EXPECT_NE(html.find("id=\"password\" name=\"password\" type=\"password\""), std::string::npos);
  EXPECT_NE(html.find("name=\"action\" value=\"approve\""), std::string::npos);
  EXPECT_NE(html.find("name=\"action\" value=\"deny\" formnovalidate"), std::string::npos);
  EXPECT_NE(html.find("<input type=\"hidden\" name=\"client_id\" value=\"photo\">"),
            std::string::npos);
  EXPECT_NE(html.find("<form method=\"post\" action=\"/authorize\">"), std::string::npos);
  EXPECT_NE(html.find("<html lang=\"en\">"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);  // no JavaScript at all
}

TEST(RenderLoginPageTest, ShowsMessageAndPrefill) {
  LoginPageModel model = Model();
  model.message = "Wrong <password>";
  model.username = "alice\"";
  const std::string html = RenderLoginPage(model);
  EXPECT_NE(html.find("role=\"alert\""), std::string::npos);
  EXPECT_NE(html.find("Wrong &lt;password&gt;"), std::string::npos);
  EXPECT_NE(html.find("value=\"alice&quot;\""), std::string::npos);
  EXPECT_EQ(RenderLoginPage(Model()).find("role=\"alert\""), std::string::npos);
}

TEST(RenderLoginPageTest, FallsBackToClientId) {
  LoginPageModel model = Model();
  model.client_name.clear();
  EXPECT_NE(RenderLoginPage(model).find("continue to photo"), std::string::npos);
}

TEST(RenderErrorPageTest, EscapesDescription) {
  const std::string html = RenderErrorPage("Failed", "invalid_request", "bad <uri>");
  EXPECT_NE(html.find("bad &lt;uri&gt;"), std::string::npos);
  EXPECT_NE(html.find("<code>invalid_request</code>"), std::string::npos);
}

TEST(PageContentSecurityPolicyTest, ForbidsFramingAndScripts) {
  const std::string& csp = PageContentSecurityPolicy();
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos);
  EXPECT_NE(csp.find("style-src 'sha256-"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos);
}

}  // namespace
}  // namespace oauthd::gateway
