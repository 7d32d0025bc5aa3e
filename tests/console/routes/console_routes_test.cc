// The console's static routes: content types, security headers, caching and
// that only embedded files are served.
#include <optional>
#include <string>

#include "adapters/console/assets.h"
#include "adapters/console/console.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace stagecheck::console {
namespace {

using ::stagecheck::http::Request;
using ::stagecheck::http::Response;
using ::stagecheck::http::Router;
using ::testing::HasSubstr;
using ::testing::Not;

Response Get(const Router& router, const std::string& target,
             std::optional<std::string> if_none_match = std::nullopt) {
  Request request;
  request.method = "GET";
  request.target = target;
  request.path = target;
  if (if_none_match) request.headers.emplace_back("if-none-match", *if_none_match);
  std::optional<Response> out;
  router(std::move(request), [&](Response r) { out = std::move(r); });
  EXPECT_TRUE(out.has_value());
  return out.value_or(Response{});
}

std::string Header(const Response& r, const std::string& name) {
  for (const auto& [key, value] : r.headers) {
    if (key == name) return value;
  }
  return "";
}

class ConsoleRoutes : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(AddConsoleRoutes(router_).ok()); }
  Router router_;
};

TEST_F(ConsoleRoutes, RootIsTheIndexPage) {
  Response r = Get(router_, "/");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Header(r, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_THAT(r.body, HasSubstr("<script type=\"module\" src=\"/console/app.js\">"));
  EXPECT_EQ(Header(r, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(Header(r, "Cache-Control"), "no-cache");
  std::string csp = Header(r, "Content-Security-Policy");
  EXPECT_THAT(csp, HasSubstr("script-src 'self'"));
  EXPECT_THAT(csp, HasSubstr("default-src 'none'"));
  EXPECT_THAT(csp, HasSubstr("frame-ancestors 'none'"));
  EXPECT_THAT(csp, Not(HasSubstr("unsafe-inline")));
  EXPECT_THAT(csp, Not(HasSubstr("unsafe-eval")));
}

TEST_F(ConsoleRoutes, ServesEveryEmbeddedAssetWithItsType) {
  ASSERT_FALSE(EmbeddedAssets().empty());
  for (const EmbeddedAsset& a : EmbeddedAssets()) {
    Response r = Get(router_, "/console/" + std::string(a.name));
    EXPECT_EQ(r.status, 200) << a.name;
    EXPECT_EQ(r.body, a.bytes) << a.name;
    EXPECT_EQ(Header(r, "X-Content-Type-Options"), "nosniff");
    EXPECT_FALSE(Header(r, "ETag").empty());
  }
  EXPECT_EQ(Header(Get(router_, "/console/app.js"), "Content-Type"),
            "text/javascript; charset=utf-8");
  EXPECT_EQ(Header(Get(router_, "/console/app.css"), "Content-Type"), "text/css; charset=utf-8");
  EXPECT_EQ(Header(Get(router_, "/console/favicon.svg"), "Content-Type"), "image/svg+xml");
}

TEST_F(ConsoleRoutes, NoInlineScriptInTheIndexPage) {
  std::string body = Get(router_, "/").body;
  EXPECT_THAT(body, Not(HasSubstr("<script>")));
  EXPECT_THAT(body, Not(HasSubstr(" style=")));
  EXPECT_THAT(body, Not(HasSubstr("onclick")));
}

TEST_F(ConsoleRoutes, RevalidatesWithTheETag) {
  Response first = Get(router_, "/console/app.js");
  Response again = Get(router_, "/console/app.js", Header(first, "ETag"));
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(Get(router_, "/console/app.js", "\"other\"").status, 200);
}

TEST_F(ConsoleRoutes, UnknownOrTraversingNamesAre404Problems) {
  for (const char* target :
       {"/console/nope.js", "/console/..%2Fmain.cc", "/console/%2e%2e", "/console/"}) {
    Response r = Get(router_, target);
    EXPECT_EQ(r.status, 404) << target;
    EXPECT_EQ(Header(r, "Content-Type"), "application/problem+json") << target;
  }
}

}  // namespace
}  // namespace stagecheck::console
