// The one place where absl canonical codes become HTTP statuses, and where
// RFC 9457 `application/problem+json` bodies are built. Every route and the
// server itself answer errors through these functions so that clients see one
// stable shape: {type, title, status, detail, code}.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "adapters/http/http.h"

namespace stagecheck::http {

class JsonWriter;

inline constexpr char kProblemContentType[] = "application/problem+json";
inline constexpr char kJsonContentType[] = "application/json";
// `type` is this prefix followed by the stable error code.
inline constexpr char kProblemTypeBase[] = "https://stagecheck.dev/errors/";

// InvalidArgument→400, Unauthenticated→401, PermissionDenied→403, NotFound→404,
// AlreadyExists/Aborted→409, FailedPrecondition→422, ResourceExhausted→429,
// Unavailable→503, DeadlineExceeded→504, anything else→500.
int HttpStatusFor(absl::StatusCode code);
// The same, except for the few stable codes HTTP has a more precise answer
// for (the table in problem.cc): "precondition_failed" → 412,
// "unsupported_media_type" → 415, "report_not_ready" → 409. This is the one
// place a status becomes an HTTP status: routes answer errors through
// ProblemResponse(status) and never pick a number themselves.
int HttpStatusFor(const absl::Status& status);

// "Not Found", "Unprocessable Content", ...; "Error" for unknown statuses.
std::string_view ReasonPhrase(int http_status);

// The problem body for an explicit status, stable code and human detail.
// `field` (an RFC 9457 extension member) names the request field at fault.
std::string ProblemBody(int http_status, std::string_view code, std::string_view detail,
                        std::optional<std::string_view> field = std::nullopt);

// A problem response for a failed status. The code comes from
// stagecheck::ErrorCode(status). Statuses that map to 500 (and OK, which is a
// caller bug) get a generic detail: internal messages never reach clients.
Response ProblemResponse(const absl::Status& status);
// The same with one more member, `name`, whose value `write` writes (an
// RFC 9457 extension: check_already_active's `existing_check`).
Response ProblemResponse(const absl::Status& status, std::string_view name,
                         const std::function<void(JsonWriter&)>& write);
// For the server's and the router's own answers (404, 405, 413, ...), which
// have no use-case status behind them.
Response ProblemResponse(int http_status, std::string_view code, std::string_view detail);

}  // namespace stagecheck::http
