// Structured logs and metrics, as ports so that core services and plugins can
// report without knowing where it goes (adapters/observability writes JSON
// lines and Prometheus text). Never pass a secret as a field value.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace stagecheck {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

using LogField = std::pair<std::string_view, std::string_view>;

class Logger {
 public:
  virtual ~Logger() = default;
  virtual void Log(LogLevel level, std::string_view event,
                   std::initializer_list<LogField> fields) = 0;
  // Whether Log at `level` would write anything: a caller on a hot path
  // skips formatting fields that would be thrown away.
  virtual bool Enabled(LogLevel level) const {
    (void)level;
    return true;
  }
};

// One series of a counter or a histogram, found once and then updated without
// its name and labels being looked up again: for the paths that count every
// request (a lookup by name was ~400 instructions a call, two a webhook
// delivery). Valid as long as the Metrics that made it.
class MetricSeries {
 public:
  virtual ~MetricSeries() = default;
  virtual void Add(double by = 1) = 0;     // a counter's series
  virtual void Observe(double value) = 0;  // a histogram's series
};

class Metrics {
 public:
  virtual ~Metrics() = default;
  // name: Prometheus metric name; labels: preformatted `k="v",k2="v2"` or empty.
  virtual void Increment(std::string_view name, std::string_view labels, double by = 1) = 0;
  virtual void Observe(std::string_view name, std::string_view labels, double value) = 0;
  virtual void Set(std::string_view name, std::string_view labels, double value) = 0;
  // The series Increment (a counter) or Observe (a histogram) would update.
  // By default a series that calls them by name; a registry overrides these
  // to skip the lookup.
  virtual std::unique_ptr<MetricSeries> CounterSeries(std::string_view name,
                                                      std::string_view labels);
  virtual std::unique_ptr<MetricSeries> HistogramSeries(std::string_view name,
                                                        std::string_view labels);
};

namespace telemetry_internal {
// The default series: Increment and Observe by name.
class SeriesByName final : public MetricSeries {
 public:
  SeriesByName(Metrics& metrics, std::string_view name, std::string_view labels)
      : metrics_(metrics), name_(name), labels_(labels) {}
  void Add(double by) override { metrics_.Increment(name_, labels_, by); }
  void Observe(double value) override { metrics_.Observe(name_, labels_, value); }

 private:
  Metrics& metrics_;
  std::string name_;
  std::string labels_;
};
}  // namespace telemetry_internal

inline std::unique_ptr<MetricSeries> Metrics::CounterSeries(std::string_view name,
                                                            std::string_view labels) {
  return std::make_unique<telemetry_internal::SeriesByName>(*this, name, labels);
}

inline std::unique_ptr<MetricSeries> Metrics::HistogramSeries(std::string_view name,
                                                              std::string_view labels) {
  return std::make_unique<telemetry_internal::SeriesByName>(*this, name, labels);
}

class NullLogger final : public Logger {
 public:
  void Log(LogLevel, std::string_view, std::initializer_list<LogField>) override {}
  bool Enabled(LogLevel) const override { return false; }
};

class NullMetrics final : public Metrics {
 public:
  void Increment(std::string_view, std::string_view, double) override {}
  void Observe(std::string_view, std::string_view, double) override {}
  void Set(std::string_view, std::string_view, double) override {}
};

}  // namespace stagecheck
