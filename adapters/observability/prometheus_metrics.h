// A Prometheus registry implementing the Metrics port, rendered as the text
// exposition format (version 0.0.4) for GET /metrics.
//
//   PrometheusMetrics metrics;
//   metrics.DescribeHistogram("stagecheck_http_request_seconds", "Request latency.");
//   metrics.Observe("stagecheck_http_request_seconds", R"(route="webhook")", 0.004);
//   // Hot paths can keep a handle and skip the lookup:
//   PrometheusMetrics::Series* hits = metrics.Get("stagecheck_webhooks_total", "");
//   hits->Add(1);
//   Response::Text(200, metrics.Render());
//
// Thread-safe. Updating an existing series takes a shared lock for the lookup
// and then only atomics; a new series takes the exclusive lock once.
// Names that are not valid Prometheus names are ignored.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/ports/telemetry.h"

namespace stagecheck::observability {

enum class MetricType { kCounter, kGauge, kHistogram };

// Prometheus' default buckets, in seconds.
std::vector<double> DefaultBuckets();

class PrometheusMetrics final : public Metrics {
 public:
  class Series {
   public:
    // Counters and gauges: add (counters ignore negative amounts).
    void Add(double by);
    // Gauges only.
    void Set(double value);
    // Histograms only.
    void Observe(double value);

   private:
    friend class PrometheusMetrics;
    Series(MetricType type, const std::vector<double>* buckets);
    MetricType type_;
    const std::vector<double>* buckets_;  // owned by the family
    std::atomic<double> value_{0};        // counter / gauge value, histogram sum
    std::atomic<uint64_t> count_{0};      // histogram count
    std::unique_ptr<std::atomic<uint64_t>[]> bucket_counts_;  // non-cumulative
  };

  PrometheusMetrics();
  ~PrometheusMetrics() override;

  // Optional: give a family its HELP text, type and (histograms) bucket upper
  // bounds before use. Undescribed names are created on first use: counters by
  // Increment, gauges by Set, histograms (default buckets) by Observe.
  void DescribeCounter(std::string_view name, std::string_view help);
  void DescribeGauge(std::string_view name, std::string_view help);
  void DescribeHistogram(std::string_view name, std::string_view help,
                         std::vector<double> buckets = DefaultBuckets());

  // The series of a family, created as a counter when the name is new.
  // nullptr for an invalid name. The pointer lives as long as the registry.
  Series* Get(std::string_view name, std::string_view labels);

  void Increment(std::string_view name, std::string_view labels, double by = 1) override;
  void Observe(std::string_view name, std::string_view labels, double value) override;
  void Set(std::string_view name, std::string_view labels, double value) override;
  // The family's series itself (no lookup on update); for an invalid name or
  // a family of another type, a series that counts nothing, as Increment and
  // Observe would.
  std::unique_ptr<MetricSeries> CounterSeries(std::string_view name,
                                              std::string_view labels) override;
  std::unique_ptr<MetricSeries> HistogramSeries(std::string_view name,
                                                std::string_view labels) override;

  // Text exposition format, families and series sorted for stable output.
  std::string Render() const;

 private:
  struct Family;
  Family* FindOrCreateFamily(std::string_view name, MetricType type_if_new);
  Series* FindOrCreateSeries(std::string_view name, std::string_view labels,
                             MetricType type_if_new);
  void Describe(std::string_view name, std::string_view help, MetricType type,
                std::vector<double> buckets);

  mutable std::shared_mutex mu_;
  std::map<std::string, std::unique_ptr<Family>, std::less<>> families_;
};

// Valid metric names: [a-zA-Z_:][a-zA-Z0-9_:]*.
bool IsValidMetricName(std::string_view name);
// The sample value as Prometheus writes it: integers without a fraction,
// "+Inf", "-Inf", "NaN".
std::string FormatSampleValue(double value);

}  // namespace stagecheck::observability
