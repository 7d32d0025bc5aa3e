#include "adapters/http/access_log.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace stagecheck::http {
namespace {

// Methods come from the client: unknown ones share one label value so that
// nobody can grow the metric families at will.
std::string_view MethodLabel(std::string_view method) {
  for (std::string_view known : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
    if (method == known) return known;
  }
  return "other";
}

}  // namespace

namespace {

// `respond`, wrapped to log and count its first answer for `request`.
Respond Logged(const Request& request, Respond respond, Logger& logger, Metrics& metrics) {
  struct Entry {
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
    std::string request_id, method, path, remote;
    std::atomic<bool> done{false};
  };
  auto entry = std::make_shared<Entry>();
  entry->request_id = request.request_id;
  entry->method = request.method;
  entry->path = request.path;
  entry->remote = request.remote_address;
  return [entry, &logger, &metrics, respond = std::move(respond)](Response response) {
    if (entry->done.exchange(true)) return;  // only the first answer counts
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - entry->start).count();
    std::string status = std::to_string(response.status);
    respond(std::move(response));  // answer first: logging is not on the client's clock
    std::string method_label = "method=\"" + std::string(MethodLabel(entry->method)) + "\"";
    metrics.Increment(kRequestsTotal, method_label + ",status=\"" + status + "\"");
    metrics.Observe(kRequestDuration, method_label, seconds);
    // Answers run on the thread that answers the rest of a webhook batch:
    // no formatting for a line the log level drops.
    const LogLevel level = status[0] == '5' ? LogLevel::kError : LogLevel::kInfo;
    if (!logger.Enabled(level)) return;
    std::string millis = std::to_string(seconds * 1000.0);
    logger.Log(level, "http.request",
               {{"request_id", entry->request_id},
                {"method", entry->method},
                {"path", entry->path},
                {"status", status},
                {"duration_ms", millis},
                {"remote", entry->remote}});
  };
}

}  // namespace

Handler WithAccessLog(Handler inner, Logger& logger, Metrics& metrics) {
  return [inner = std::move(inner), &logger, &metrics](Request request, Respond respond) {
    Respond logged = Logged(request, std::move(respond), logger, metrics);
    inner(std::move(request), std::move(logged));
  };
}

IoHandler WithAccessLog(IoHandler inner, Logger& logger, Metrics& metrics) {
  if (!inner) return nullptr;
  return [inner = std::move(inner), &logger, &metrics](Request& request, Respond& respond) {
    // A copy: a declined request keeps `respond` for the worker, whose
    // wrapper logs it then.
    Respond logged = Logged(request, respond, logger, metrics);
    return inner(request, logged);
  };
}

}  // namespace stagecheck::http
