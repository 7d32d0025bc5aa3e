// Structured logs and metrics, as ports so that core services and plugins can
// report without knowing where it goes (adapters/observability writes JSON
// lines and Prometheus text). Never pass a secret as a field value.
#pragma once

#include <initializer_list>
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

class Metrics {
 public:
  virtual ~Metrics() = default;
  // name: Prometheus metric name; labels: preformatted `k="v",k2="v2"` or empty.
  virtual void Increment(std::string_view name, std::string_view labels, double by = 1) = 0;
  virtual void Observe(std::string_view name, std::string_view labels, double value) = 0;
  virtual void Set(std::string_view name, std::string_view labels, double value) = 0;
};

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
