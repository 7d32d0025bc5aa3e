#include "adapters/observability/prometheus_metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <mutex>

namespace stagecheck::observability {

struct PrometheusMetrics::Family {
  MetricType type = MetricType::kCounter;
  std::string help;
  std::vector<double> buckets;
  std::map<std::string, std::unique_ptr<Series>, std::less<>> series;  // by label text
};

namespace {

std::string_view TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// HELP text escapes backslash and newline only.
std::string EscapeHelp(std::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void AtomicAdd(std::atomic<double>& target, double by) {
  target.fetch_add(by, std::memory_order_relaxed);
}

// "name{labels}" or "name{labels,extra}" or "name" when both are empty.
void AppendSeriesName(std::string& out, std::string_view name, std::string_view suffix,
                      std::string_view labels, std::string_view extra) {
  out.append(name);
  out.append(suffix);
  if (labels.empty() && extra.empty()) return;
  out += '{';
  out.append(labels);
  if (!labels.empty() && !extra.empty()) out += ',';
  out.append(extra);
  out += '}';
}

}  // namespace

std::vector<double> DefaultBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

bool IsValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

std::string FormatSampleValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[32];
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    std::snprintf(buffer, sizeof(buffer), "%.0f", value);
    return buffer;
  }
  // The shortest text that reads back as the same double: le="0.005", not
  // "%.17g"'s le="0.0050000000000000001"; fixed-point unless the value is
  // very small or very large (le="0.0001", not "1e-04").
  const double magnitude = std::fabs(value);
  const std::to_chars_result written =
      magnitude >= 1e-6 && magnitude < 1e15
          ? std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::fixed)
          : std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, written.ptr);
}

PrometheusMetrics::Series::Series(MetricType type, const std::vector<double>* buckets)
    : type_(type), buckets_(buckets) {
  if (type_ == MetricType::kHistogram) {
    bucket_counts_ = std::make_unique<std::atomic<uint64_t>[]>(buckets_->size());
  }
}

void PrometheusMetrics::Series::Add(double by) {
  if (type_ == MetricType::kHistogram) return;
  if (type_ == MetricType::kCounter && !(by >= 0)) return;  // counters only go up
  AtomicAdd(value_, by);
}

void PrometheusMetrics::Series::Set(double value) {
  if (type_ != MetricType::kGauge) return;
  value_.store(value, std::memory_order_relaxed);
}

void PrometheusMetrics::Series::Observe(double value) {
  if (type_ != MetricType::kHistogram) return;
  // Buckets are few (about ten), a linear scan beats a binary search here.
  const std::vector<double>& bounds = *buckets_;
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (value <= bounds[i]) {
      bucket_counts_[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  AtomicAdd(value_, value);
  count_.fetch_add(1, std::memory_order_relaxed);
}

PrometheusMetrics::PrometheusMetrics() = default;
PrometheusMetrics::~PrometheusMetrics() = default;

void PrometheusMetrics::Describe(std::string_view name, std::string_view help, MetricType type,
                                 std::vector<double> buckets) {
  if (!IsValidMetricName(name)) return;
  std::sort(buckets.begin(), buckets.end());
  buckets.erase(std::unique(buckets.begin(), buckets.end()), buckets.end());
  std::unique_lock<std::shared_mutex> lock(mu_);
  auto it = families_.find(name);
  if (it != families_.end()) {
    // Existing series point at the old buckets: keep the shape, take the help.
    it->second->help = std::string(help);
    return;
  }
  auto family = std::make_unique<Family>();
  family->type = type;
  family->help = std::string(help);
  family->buckets = std::move(buckets);
  families_.emplace(std::string(name), std::move(family));
}

void PrometheusMetrics::DescribeCounter(std::string_view name, std::string_view help) {
  Describe(name, help, MetricType::kCounter, {});
}
void PrometheusMetrics::DescribeGauge(std::string_view name, std::string_view help) {
  Describe(name, help, MetricType::kGauge, {});
}
void PrometheusMetrics::DescribeHistogram(std::string_view name, std::string_view help,
                                          std::vector<double> buckets) {
  Describe(name, help, MetricType::kHistogram, std::move(buckets));
}

PrometheusMetrics::Series* PrometheusMetrics::FindOrCreateSeries(std::string_view name,
                                                                 std::string_view labels,
                                                                 MetricType type_if_new) {
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    auto family = families_.find(name);
    if (family != families_.end()) {
      auto series = family->second->series.find(labels);
      if (series != family->second->series.end()) return series->second.get();
    }
  }
  if (!IsValidMetricName(name)) return nullptr;
  std::unique_lock<std::shared_mutex> lock(mu_);
  auto family_it = families_.find(name);
  if (family_it == families_.end()) {
    auto family = std::make_unique<Family>();
    family->type = type_if_new;
    if (type_if_new == MetricType::kHistogram) family->buckets = DefaultBuckets();
    family_it = families_.emplace(std::string(name), std::move(family)).first;
  }
  Family& family = *family_it->second;
  auto series_it = family.series.find(labels);
  if (series_it == family.series.end()) {
    series_it = family.series
                    .emplace(std::string(labels),
                             std::unique_ptr<Series>(new Series(family.type, &family.buckets)))
                    .first;
  }
  return series_it->second.get();
}

PrometheusMetrics::Series* PrometheusMetrics::Get(std::string_view name, std::string_view labels) {
  return FindOrCreateSeries(name, labels, MetricType::kCounter);
}

void PrometheusMetrics::Increment(std::string_view name, std::string_view labels, double by) {
  if (Series* series = FindOrCreateSeries(name, labels, MetricType::kCounter)) series->Add(by);
}

void PrometheusMetrics::Observe(std::string_view name, std::string_view labels, double value) {
  if (Series* series = FindOrCreateSeries(name, labels, MetricType::kHistogram)) {
    series->Observe(value);
  }
}

void PrometheusMetrics::Set(std::string_view name, std::string_view labels, double value) {
  if (Series* series = FindOrCreateSeries(name, labels, MetricType::kGauge)) series->Set(value);
}

namespace {

// A registry series updated through the port: no lookup, and nothing for a
// name the registry refused (nullptr), as Increment and Observe do.
class RegistrySeries final : public MetricSeries {
 public:
  explicit RegistrySeries(PrometheusMetrics::Series* series) : series_(series) {}
  void Add(double by) override {
    if (series_ != nullptr) series_->Add(by);
  }
  void Observe(double value) override {
    if (series_ != nullptr) series_->Observe(value);
  }

 private:
  PrometheusMetrics::Series* series_;
};

}  // namespace

std::unique_ptr<MetricSeries> PrometheusMetrics::CounterSeries(std::string_view name,
                                                               std::string_view labels) {
  return std::make_unique<RegistrySeries>(FindOrCreateSeries(name, labels, MetricType::kCounter));
}

std::unique_ptr<MetricSeries> PrometheusMetrics::HistogramSeries(std::string_view name,
                                                                 std::string_view labels) {
  return std::make_unique<RegistrySeries>(FindOrCreateSeries(name, labels, MetricType::kHistogram));
}

std::string PrometheusMetrics::Render() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  std::string out;
  for (const auto& [name, family] : families_) {
    if (!family->help.empty()) {
      out += "# HELP " + name + " " + EscapeHelp(family->help) + "\n";
    }
    out += "# TYPE " + name + " " + std::string(TypeName(family->type)) + "\n";
    for (const auto& [labels, series] : family->series) {
      if (family->type != MetricType::kHistogram) {
        AppendSeriesName(out, name, "", labels, "");
        out += ' ' + FormatSampleValue(series->value_.load(std::memory_order_relaxed)) + '\n';
        continue;
      }
      // Buckets are cumulative in the exposition format. A concurrent Observe
      // bumps its bucket before the count, so +Inf takes the larger of the two
      // to stay >= every bucket.
      uint64_t cumulative = 0;
      for (size_t i = 0; i < family->buckets.size(); ++i) {
        cumulative += series->bucket_counts_[i].load(std::memory_order_relaxed);
        AppendSeriesName(out, name, "_bucket", labels,
                         "le=\"" + FormatSampleValue(family->buckets[i]) + "\"");
        out += ' ' + std::to_string(cumulative) + '\n';
      }
      uint64_t count = std::max(cumulative, series->count_.load(std::memory_order_relaxed));
      AppendSeriesName(out, name, "_bucket", labels, "le=\"+Inf\"");
      out += ' ' + std::to_string(count) + '\n';
      AppendSeriesName(out, name, "_sum", labels, "");
      out += ' ' + FormatSampleValue(series->value_.load(std::memory_order_relaxed)) + '\n';
      AppendSeriesName(out, name, "_count", labels, "");
      out += ' ' + std::to_string(count) + '\n';
    }
  }
  return out;
}

}  // namespace stagecheck::observability
