#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "adapters/observability/json_logger.h"
#include "adapters/observability/prometheus_metrics.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"

namespace stagecheck::observability {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

TEST(JsonLogger, WritesOneJsonObjectPerLine) {
  auto sink = std::make_shared<CapturingSink>();
  JsonLogger logger(sink);
  logger.Log(LogLevel::kInfo, "webhook.applied",
             {{"check_id", "c1"}, {"note", "a \"quoted\"\nline"}});
  logger.Log(LogLevel::kError, "store.failed", {});
  std::vector<std::string> lines = sink->Lines();
  ASSERT_EQ(lines.size(), 2u);
  for (const std::string& line : lines) EXPECT_THAT(line, Not(HasSubstr("\n")));
  rapidjson::Document doc;
  ASSERT_FALSE(doc.Parse(lines[0].c_str()).HasParseError()) << lines[0];
  EXPECT_THAT(doc["ts"].GetString(),
              MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{3}Z"));
  EXPECT_STREQ(doc["level"].GetString(), "info");
  EXPECT_STREQ(doc["event"].GetString(), "webhook.applied");
  EXPECT_STREQ(doc["fields"]["check_id"].GetString(), "c1");
  EXPECT_STREQ(doc["fields"]["note"].GetString(), "a \"quoted\"\nline");
  ASSERT_FALSE(doc.Parse(lines[1].c_str()).HasParseError());
  EXPECT_STREQ(doc["level"].GetString(), "error");
  EXPECT_TRUE(doc["fields"].IsObject());
}

TEST(JsonLogger, MasksSecretFieldsAndCredentialValues) {
  auto sink = std::make_shared<CapturingSink>();
  JsonLogger logger(sink);
  logger.Log(LogLevel::kWarning, "certn.call",
             {{"api_key", "AK-111"},
              {"Certn-Secret", "S-222"},
              {"access_token", "T-333"},
              {"signature", "SIG-444"},
              {"Authorization", "X-555"},
              {"db_password", "P-666"},
              {"header", "Bearer B-777"},
              {"minted", "sc_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"},
              {"status", "ok"}});
  std::string text = sink->Text();
  for (const char* secret :
       {"AK-111", "S-222", "T-333", "SIG-444", "X-555", "P-666", "B-777", "sc_abcdef"}) {
    EXPECT_THAT(text, Not(HasSubstr(secret)));
  }
  EXPECT_THAT(text, HasSubstr("\"status\":\"ok\""));
  EXPECT_THAT(text, HasSubstr("\"api_key\":\"[REDACTED]\""));
}

TEST(JsonLogger, DropsLinesBelowTheMinimumLevel) {
  auto sink = std::make_shared<CapturingSink>();
  JsonLogger logger(sink, LogLevel::kWarning);
  logger.Log(LogLevel::kDebug, "d", {});
  logger.Log(LogLevel::kInfo, "i", {});
  logger.Log(LogLevel::kWarning, "w", {});
  EXPECT_EQ(sink->Lines().size(), 1u);
}

TEST(JsonLogger, SaysWhichLevelsItWouldWrite) {
  JsonLogger logger(std::make_shared<CapturingSink>(), LogLevel::kWarning);
  EXPECT_FALSE(logger.Enabled(LogLevel::kDebug));
  EXPECT_FALSE(logger.Enabled(LogLevel::kInfo));
  EXPECT_TRUE(logger.Enabled(LogLevel::kWarning));
  EXPECT_TRUE(logger.Enabled(LogLevel::kError));
  // Without a sink nothing is written at any level.
  EXPECT_FALSE(JsonLogger(nullptr, LogLevel::kDebug).Enabled(LogLevel::kError));
  EXPECT_FALSE(NullLogger().Enabled(LogLevel::kError));
}

TEST(JsonLogger, FormatsAFixedLine) {
  EXPECT_EQ(JsonLogger::FormatLine("2024-01-02T03:04:05.678Z", LogLevel::kDebug, "e", {{"k", "v"}}),
            R"({"ts":"2024-01-02T03:04:05.678Z","level":"debug","event":"e","fields":{"k":"v"}})");
}

TEST(JsonLogger, WritesToAnOstreamFromManyThreads) {
  std::ostringstream out;
  JsonLogger logger(std::make_shared<OstreamSink>(out));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) logger.Log(LogLevel::kInfo, "tick", {{"i", "1"}});
    });
  }
  for (auto& thread : threads) thread.join();
  std::istringstream in(out.str());
  std::string line;
  int count = 0;
  while (std::getline(in, line)) {
    rapidjson::Document doc;
    EXPECT_FALSE(doc.Parse(line.c_str()).HasParseError()) << line;
    ++count;
  }
  EXPECT_EQ(count, 400);
}

TEST(FileSink, DeliversEveryLineByFlushAndOnDestruction) {
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  {
    auto sink = std::make_shared<FileSink>(file);
    JsonLogger logger(sink);
    logger.Log(LogLevel::kInfo, "one", {});
    sink->Flush();
    EXPECT_GT(std::ftell(file), 0);
    for (int i = 0; i < 2000; ++i) logger.Log(LogLevel::kInfo, "many", {{"i", "x"}});
  }
  std::rewind(file);
  int lines = 0;
  char buffer[512];
  while (std::fgets(buffer, sizeof(buffer), file) != nullptr) {
    rapidjson::Document doc;
    EXPECT_FALSE(doc.Parse(buffer).HasParseError()) << buffer;
    ++lines;
  }
  EXPECT_EQ(lines, 2001);
  std::fclose(file);
}

TEST(SecretNames, AreRecognised) {
  EXPECT_TRUE(IsSecretFieldName("x-certn-signature"));
  EXPECT_TRUE(IsSecretFieldName("WEBHOOK_SECRET"));
  EXPECT_TRUE(IsSecretFieldName("apiKey"));
  EXPECT_FALSE(IsSecretFieldName("candidate_id"));
  EXPECT_FALSE(IsSecretFieldName("status"));
}

TEST(Metrics, RendersCountersAndGauges) {
  PrometheusMetrics metrics;
  metrics.DescribeCounter("stagecheck_webhooks_total", "Webhooks received.");
  metrics.Increment("stagecheck_webhooks_total", R"(outcome="applied")");
  metrics.Increment("stagecheck_webhooks_total", R"(outcome="applied")", 2);
  metrics.Increment("stagecheck_webhooks_total", R"(outcome="stale")");
  metrics.Increment("stagecheck_webhooks_total", R"(outcome="stale")", -5);  // ignored
  metrics.Set("stagecheck_queue_depth", "", 7.5);
  metrics.Set("stagecheck_queue_depth", "", 3);
  EXPECT_EQ(metrics.Render(),
            "# TYPE stagecheck_queue_depth gauge\n"
            "stagecheck_queue_depth 3\n"
            "# HELP stagecheck_webhooks_total Webhooks received.\n"
            "# TYPE stagecheck_webhooks_total counter\n"
            "stagecheck_webhooks_total{outcome=\"applied\"} 3\n"
            "stagecheck_webhooks_total{outcome=\"stale\"} 1\n");
}

TEST(Metrics, RendersHistogramsWithCumulativeBuckets) {
  PrometheusMetrics metrics;
  metrics.DescribeHistogram("req_seconds", "Latency\nin seconds.", {0.1, 1});
  metrics.Observe("req_seconds", R"(route="w")", 0.05);
  metrics.Observe("req_seconds", R"(route="w")", 0.5);
  metrics.Observe("req_seconds", R"(route="w")", 3);
  EXPECT_EQ(metrics.Render(),
            "# HELP req_seconds Latency\\nin seconds.\n"
            "# TYPE req_seconds histogram\n"
            "req_seconds_bucket{route=\"w\",le=\"0.1\"} 1\n"
            "req_seconds_bucket{route=\"w\",le=\"1\"} 2\n"
            "req_seconds_bucket{route=\"w\",le=\"+Inf\"} 3\n"
            "req_seconds_sum{route=\"w\"} 3.55\n"
            "req_seconds_count{route=\"w\"} 3\n");
}

TEST(Metrics, CreatesUndescribedHistogramsWithDefaultBuckets) {
  PrometheusMetrics metrics;
  metrics.Observe("lat", "", 0.003);
  std::string text = metrics.Render();
  EXPECT_THAT(text, HasSubstr("# TYPE lat histogram\n"));
  EXPECT_THAT(text, HasSubstr("lat_bucket{le=\"0.005\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("lat_bucket{le=\"10\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("lat_count 1\n"));
}

TEST(Metrics, IgnoresInvalidNamesAndTypeMismatches) {
  PrometheusMetrics metrics;
  metrics.Increment("bad name", "");
  metrics.Increment("9starts_with_digit", "");
  EXPECT_EQ(metrics.Get("bad-name", ""), nullptr);
  metrics.Increment("c_total", "");
  metrics.Set("c_total", "", 100);      // not a gauge
  metrics.Observe("c_total", "", 100);  // not a histogram
  EXPECT_EQ(metrics.Render(), "# TYPE c_total counter\nc_total 1\n");
}

TEST(Metrics, HandlesAreStableAndCountUnderContention) {
  PrometheusMetrics metrics;
  PrometheusMetrics::Series* hits = metrics.Get("hits_total", "");
  ASSERT_NE(hits, nullptr);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10000; ++i) {
        hits->Add(1);
        metrics.Increment("hits_total", "");
        metrics.Observe("h", "", 0.001);
        metrics.Increment("per_thread_total", "t=\"" + std::to_string(t) + "\"");
      }
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; i < 50; ++i) EXPECT_THAT(metrics.Render(), HasSubstr("hits_total"));
  });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(metrics.Get("hits_total", ""), hits);
  std::string text = metrics.Render();
  EXPECT_THAT(text, HasSubstr("hits_total 80000\n"));
  EXPECT_THAT(text, HasSubstr("h_count 40000\n"));
  EXPECT_THAT(text, HasSubstr("per_thread_total{t=\"3\"} 10000\n"));
}

TEST(Metrics, SeriesFoundOnceUpdateTheSameSamplesAsUpdatesByName) {
  PrometheusMetrics metrics;
  std::unique_ptr<MetricSeries> applied =
      metrics.CounterSeries("deliveries_total", "verdict=\"applied\"");
  std::unique_ptr<MetricSeries> latency = metrics.HistogramSeries("apply_seconds", "");
  applied->Add();
  applied->Add(2);
  metrics.Increment("deliveries_total", "verdict=\"applied\"");
  latency->Observe(0.25);
  metrics.Observe("apply_seconds", "", 0.5);
  const std::string text = metrics.Render();
  EXPECT_THAT(text, HasSubstr("deliveries_total{verdict=\"applied\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("apply_seconds_count 2\n"));
  EXPECT_THAT(text, HasSubstr("apply_seconds_sum 0.75\n"));
  // As by name: a counter does not go down, and a series of the other type
  // or of an invalid name counts nothing.
  applied->Add(-5);
  applied->Observe(1);
  metrics.CounterSeries("bad name", "")->Add();
  metrics.HistogramSeries("deliveries_total", "verdict=\"applied\"")->Observe(1);
  EXPECT_THAT(metrics.Render(), HasSubstr("deliveries_total{verdict=\"applied\"} 4\n"));
  EXPECT_THAT(metrics.Render(), Not(HasSubstr("bad")));
}

// The port's default series (a Metrics that does not override them) update by name.
TEST(Metrics, TheDefaultSeriesOfThePortUpdateByName) {
  struct Recorded final : Metrics {
    void Increment(std::string_view name, std::string_view labels, double by) override {
      calls.push_back(std::string(name) + "{" + std::string(labels) + "}+" + std::to_string(by));
    }
    void Observe(std::string_view name, std::string_view, double value) override {
      calls.push_back(std::string(name) + "=" + std::to_string(value));
    }
    void Set(std::string_view, std::string_view, double) override {}
    std::vector<std::string> calls;
  } recorded;
  recorded.CounterSeries("a_total", "k=\"v\"")->Add(3);
  recorded.HistogramSeries("b_seconds", "")->Observe(0.5);
  EXPECT_THAT(recorded.calls,
              ::testing::ElementsAre("a_total{k=\"v\"}+3.000000", "b_seconds=0.500000"));
}

TEST(Metrics, FormatsSampleValues) {
  EXPECT_EQ(FormatSampleValue(0), "0");
  EXPECT_EQ(FormatSampleValue(-2), "-2");
  EXPECT_EQ(FormatSampleValue(0.25), "0.25");
  // The shortest text that reads back as the same double.
  EXPECT_EQ(FormatSampleValue(0.1), "0.1");
  EXPECT_EQ(FormatSampleValue(0.0001), "0.0001");
  EXPECT_EQ(FormatSampleValue(1e20), "1e+20");
  EXPECT_EQ(std::stod(FormatSampleValue(1.0 / 3)), 1.0 / 3);
  EXPECT_EQ(FormatSampleValue(1.0 / 0.0), "+Inf");
  EXPECT_EQ(FormatSampleValue(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(FormatSampleValue(0.0 / 0.0), "NaN");
}

}  // namespace
}  // namespace stagecheck::observability
