#include "adapters/http/problem.h"

#include "adapters/http/json_writer.h"
#include "core/errors.h"
#include "core/strings.h"

namespace stagecheck::http {

int HttpStatusFor(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return 409;
    case absl::StatusCode::kFailedPrecondition:
      return 422;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 500;
  }
}

std::string_view ReasonPhrase(int http_status) {
  switch (http_status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Error";
  }
}

namespace {

// Stable codes whose HTTP status is more precise than their canonical code's.
struct StatusByCode {
  std::string_view code;
  int http_status;
};
constexpr StatusByCode kStatusByCode[] = {
    // If-Match named an older version (RFC 9110 section 13.1.1).
    {"precondition_failed", 412},
    // A body that is not application/json (InvalidArgument in json_body.cc).
    {"unsupported_media_type", 415},
    // The report of a check that is not complete (FailedPrecondition in the
    // plugin): the check's state conflicts with the request (docs/openapi.yaml).
    {"report_not_ready", 409},
};

void WriteProblem(JsonWriter& w, int http_status, std::string_view code, std::string_view detail,
                  std::optional<std::string_view> field) {
  std::string type(kProblemTypeBase);
  type.append(code);
  w.Field("type", std::string_view(type))
      .Field("title", ReasonPhrase(http_status))
      .Field("status", http_status)
      .Field("detail", detail)
      .Field("code", code);
  if (field) w.Field("field", *field);
}

Response ProblemOf(int http_status, std::string body) {
  Response response;
  response.status = http_status;
  response.headers.emplace_back("Content-Type", kProblemContentType);
  response.body = std::move(body);
  return response;
}

}  // namespace

std::string ProblemBody(int http_status, std::string_view code, std::string_view detail,
                        std::optional<std::string_view> field) {
  JsonWriter w;
  w.StartObject();
  WriteProblem(w, http_status, code, detail, field);
  w.EndObject();
  return w.Take();
}

Response ProblemResponse(int http_status, std::string_view code, std::string_view detail) {
  return ProblemOf(http_status, ProblemBody(http_status, code, detail));
}

int HttpStatusFor(const absl::Status& status) {
  std::string code = ErrorCode(status);
  for (const StatusByCode& entry : kStatusByCode) {
    if (entry.code == code) return entry.http_status;
  }
  return HttpStatusFor(status.code());
}

Response ProblemResponse(const absl::Status& status, std::string_view name,
                         const std::function<void(JsonWriter&)>& write) {
  int http_status = HttpStatusFor(status);
  if (status.ok() || http_status == 500) {
    // The message of an internal error may name files, queries or hosts.
    return ProblemResponse(500, "internal", "An internal error occurred.");
  }
  std::optional<std::string> field = ErrorField(status);
  JsonWriter w;
  w.StartObject();
  WriteProblem(w, http_status, ErrorCode(status), ToStd(status.message()), field);
  if (write) {
    w.Key(name);
    write(w);
  }
  w.EndObject();
  return ProblemOf(http_status, w.Take());
}

Response ProblemResponse(const absl::Status& status) {
  return ProblemResponse(status, "", nullptr);
}

}  // namespace stagecheck::http
