#include <optional>
#include <string>

#include "adapters/http/problem.h"
#include "adapters/http/router.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace stagecheck::http {
namespace {

using ::testing::HasSubstr;

Request Make(std::string method, std::string target) {
  Request request;
  request.method = std::move(method);
  request.target = target;
  request.path = target.substr(0, target.find('?'));
  return request;
}

// Runs the router synchronously and returns what it answered.
Response Call(const Router& router, Request request) {
  std::optional<Response> out;
  router(std::move(request), [&](Response r) { out = std::move(r); });
  EXPECT_TRUE(out.has_value());
  return out.value_or(Response{});
}

Handler Named(std::string name) {
  return [name](Request request, Respond respond) {
    std::string body = name;
    for (const auto& [key, value] : request.path_params) body += " " + key + "=" + value;
    respond(Response::Text(200, body));
  };
}

constexpr char kStage[] = "/api/v1/jobs/{job_id}/interview-plan/stages/{stage_id}";

TEST(Router, FillsPathParameters) {
  Router router;
  ASSERT_TRUE(router.Add("PATCH", kStage, Named("stage")).ok());
  Response r = Call(router, Make("PATCH", "/api/v1/jobs/j1/interview-plan/stages/s%202?x=1"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "stage job_id=j1 stage_id=s 2");
}

TEST(Router, KeepsAnEncodedSlashInsideOneParameter) {
  Router router;
  ASSERT_TRUE(router.Add("GET", "/files/{name}", Named("file")).ok());
  EXPECT_EQ(Call(router, Make("GET", "/files/a%2Fb")).body, "file name=a/b");
}

TEST(Router, AnswersUnknownPathsWith404Problem) {
  Router router;
  ASSERT_TRUE(router.Add("GET", "/healthz", Named("health")).ok());
  Response r = Call(router, Make("GET", "/nope"));
  EXPECT_EQ(r.status, 404);
  EXPECT_THAT(r.body, HasSubstr("\"status\":404"));
  ASSERT_FALSE(r.headers.empty());
  EXPECT_EQ(r.headers[0].second, kProblemContentType);
  // Segment counts must match exactly.
  EXPECT_EQ(Call(router, Make("GET", "/healthz/extra")).status, 404);
}

TEST(Router, AnswersWrongMethodsWith405AndAllow) {
  Router router;
  ASSERT_TRUE(router.Add("GET", "/jobs/{id}", Named("get")).ok());
  ASSERT_TRUE(router.Add("PUT", "/jobs/{id}", Named("put")).ok());
  Response r = Call(router, Make("POST", "/jobs/9"));
  EXPECT_EQ(r.status, 405);
  bool has_allow = false;
  for (const auto& [name, value] : r.headers) {
    if (name == "Allow") {
      has_allow = true;
      EXPECT_EQ(value, "GET, PUT");
    }
  }
  EXPECT_TRUE(has_allow);
}

TEST(Router, ListsEachAllowedMethodOnce) {
  Router router;
  ASSERT_TRUE(router.Add("GET", "/jobs/{id}", Named("by-id")).ok());
  ASSERT_TRUE(router.Add("GET", "/jobs/archived", Named("archived")).ok());
  Response r = Call(router, Make("DELETE", "/jobs/archived"));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers.back().first, "Allow");
  EXPECT_EQ(r.headers.back().second, "GET");
}

TEST(Router, PrefersLiteralSegmentsOverParameters) {
  Router router;
  ASSERT_TRUE(router.Add("GET", "/jobs/{id}", Named("by-id")).ok());
  ASSERT_TRUE(router.Add("GET", "/jobs/archived", Named("archived")).ok());
  EXPECT_EQ(Call(router, Make("GET", "/jobs/archived")).body, "archived");
  EXPECT_EQ(Call(router, Make("GET", "/jobs/42")).body, "by-id id=42");
}

TEST(Router, DoesNotMatchAnEmptyParameter) {
  Router router;
  ASSERT_TRUE(router.Add("GET", "/jobs/{id}", Named("by-id")).ok());
  EXPECT_EQ(Call(router, Make("GET", "/jobs/")).status, 404);
}

TEST(Router, RejectsMalformedAndDuplicatePatterns) {
  Router router;
  EXPECT_EQ(router.Add("GET", "jobs", Named("x")).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(router.Add("GET", "/jobs/{", Named("x")).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(router.Add("GET", "/jobs/{}", Named("x")).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(router.Add("GET", "/jo{b}s", Named("x")).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(router.Add("GET", "/jobs", Named("x")).ok());
  EXPECT_EQ(router.Add("GET", "/jobs", Named("y")).code(), absl::StatusCode::kAlreadyExists);
}

TEST(Router, CopiesShareTheRouteTable) {
  Router router;
  Handler handler = router;
  ASSERT_TRUE(router.Add("GET", "/late", Named("late")).ok());
  std::optional<Response> out;
  handler(Make("GET", "/late"), [&](Response r) { out = std::move(r); });
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->body, "late");
}

TEST(Router, RootPathMatches) {
  Router router;
  ASSERT_TRUE(router.Add("GET", "/", Named("root")).ok());
  EXPECT_EQ(Call(router, Make("GET", "/")).body, "root");
}

// What a route's IoHandler may take on the io thread; everything else,
// the router's own 404/405/400 included, is left for the worker.
TEST(Router, OffersOnlyRoutesWithAnIoHandlerOnTheIoThread) {
  Router router;
  int quick_calls = 0;
  ASSERT_TRUE(router
                  .Add("POST", "/hooks/{team}", Named("hook"),
                       [&](Request& request, Respond& respond) {
                         ++quick_calls;
                         if (request.body == "decline") return false;
                         respond(Response::Text(200, "io " + request.path_params["team"]));
                         return true;
                       })
                  .ok());
  ASSERT_TRUE(router.Add("GET", "/plain", Named("plain")).ok());
  IoHandler io = router.IoThreadHandler();
  ASSERT_TRUE(io);

  std::optional<Response> out;
  Respond respond = [&](Response r) { out = std::move(r); };
  Request taken = Make("POST", "/hooks/t%201");
  EXPECT_TRUE(io(taken, respond));
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->body, "io t 1");

  out.reset();
  Request declined = Make("POST", "/hooks/t2");
  declined.body = "decline";
  EXPECT_FALSE(io(declined, respond));
  EXPECT_FALSE(out.has_value());
  EXPECT_EQ(declined.body, "decline");
  EXPECT_EQ(Call(router, declined).body, "hook team=t2");

  for (Request other : {Make("GET", "/plain"), Make("GET", "/nowhere"), Make("GET", "/hooks/t3"),
                        Make("POST", "/hooks/%zz")}) {
    EXPECT_FALSE(io(other, respond)) << other.method << " " << other.target;
  }
  EXPECT_FALSE(out.has_value());
  EXPECT_EQ(quick_calls, 2);
}

TEST(Router, HasNoIoHandlerWhenNoRouteHasOne) {
  Router router;
  ASSERT_TRUE(router.Add("GET", "/plain", Named("plain")).ok());
  EXPECT_FALSE(router.IoThreadHandler());
}

}  // namespace
}  // namespace stagecheck::http
