#include <memory>
#include <optional>
#include <string>

#include "adapters/http/access_log.h"
#include "adapters/observability/json_logger.h"
#include "adapters/observability/prometheus_metrics.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace stagecheck::http {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(AccessLog, LogsAndCountsEachAnsweredRequestOnce) {
  auto sink = std::make_shared<observability::CapturingSink>();
  observability::JsonLogger logger(sink);
  observability::PrometheusMetrics metrics;
  Handler handler = WithAccessLog(
      [](Request, Respond respond) {
        respond(Response::Text(201, "made"));
        respond(Response::Text(500, "ignored"));
      },
      logger, metrics);
  Request request;
  request.method = "POST";
  request.path = "/api/v1/things";
  request.query = "token=sc_secret";
  request.request_id = "rid-1";
  std::optional<Response> answered;
  int answers = 0;
  handler(request, [&](Response r) {
    ++answers;
    answered = std::move(r);
  });
  ASSERT_TRUE(answered.has_value());
  EXPECT_EQ(answered->status, 201);
  EXPECT_EQ(answers, 1);
  ASSERT_EQ(sink->Lines().size(), 1u);
  std::string line = sink->Lines()[0];
  EXPECT_THAT(line, HasSubstr("\"event\":\"http.request\""));
  EXPECT_THAT(line, HasSubstr("\"request_id\":\"rid-1\""));
  EXPECT_THAT(line, HasSubstr("\"status\":\"201\""));
  EXPECT_THAT(line, HasSubstr("\"path\":\"/api/v1/things\""));
  EXPECT_THAT(line, Not(HasSubstr("sc_secret")));
  std::string text = metrics.Render();
  EXPECT_THAT(text,
              HasSubstr("stagecheck_http_requests_total{method=\"POST\",status=\"201\"} 1\n"));
  EXPECT_THAT(text,
              HasSubstr("stagecheck_http_request_duration_seconds_count{method=\"POST\"} 1\n"));
}

TEST(AccessLog, AtWarningCountsEveryAnswerButLogsOnlyServerErrors) {
  auto sink = std::make_shared<observability::CapturingSink>();
  observability::JsonLogger logger(sink, LogLevel::kWarning);
  observability::PrometheusMetrics metrics;
  int status = 200;
  Handler handler = WithAccessLog(
      [&](Request, Respond respond) { respond(Response::Text(status, "")); }, logger, metrics);
  Request request;
  request.method = "POST";
  request.request_id = "rid-quiet";
  handler(request, [](Response) {});
  EXPECT_TRUE(sink->Lines().empty());
  status = 503;
  request.request_id = "rid-loud";
  handler(request, [](Response) {});
  ASSERT_EQ(sink->Lines().size(), 1u);
  EXPECT_THAT(sink->Lines()[0], HasSubstr("\"request_id\":\"rid-loud\""));
  EXPECT_THAT(sink->Lines()[0], HasSubstr("\"duration_ms\""));
  std::string text = metrics.Render();
  EXPECT_THAT(text, HasSubstr("{method=\"POST\",status=\"200\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("{method=\"POST\",status=\"503\"} 1\n"));
}

TEST(AccessLog, FoldsUnknownMethodsIntoOneLabel) {
  auto sink = std::make_shared<observability::CapturingSink>();
  observability::JsonLogger logger(sink);
  observability::PrometheusMetrics metrics;
  Handler handler = WithAccessLog(
      [](Request, Respond respond) { respond(Response::Text(405, "")); }, logger, metrics);
  Request request;
  request.method = "BREW\"}";
  handler(request, [](Response) {});
  EXPECT_THAT(metrics.Render(), HasSubstr("{method=\"other\",status=\"405\"} 1"));
}

}  // namespace
}  // namespace stagecheck::http
