// Middleware: one structured log line and two metrics per request.
//
//   Server server(options, WithAccessLog(router, logger, metrics),
//                 WithAccessLog(router.IoThreadHandler(), logger, metrics));
//
// Log event "http.request" with request_id, method, path, status, duration_ms,
// remote (never the query string or headers: they may carry secrets).
// Metrics: stagecheck_http_requests_total{method,status} and
// stagecheck_http_request_duration_seconds{method} (histogram). The Logger and
// Metrics must outlive the handler.
#pragma once

#include "adapters/http/http.h"
#include "core/ports/telemetry.h"

namespace stagecheck::http {

inline constexpr char kRequestsTotal[] = "stagecheck_http_requests_total";
inline constexpr char kRequestDuration[] = "stagecheck_http_request_duration_seconds";

Handler WithAccessLog(Handler inner, Logger& logger, Metrics& metrics);
// The same for requests an IoHandler takes (empty stays empty).
IoHandler WithAccessLog(IoHandler inner, Logger& logger, Metrics& metrics);

}  // namespace stagecheck::http
