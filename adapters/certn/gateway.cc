#include "adapters/certn/gateway.h"

#include <algorithm>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "adapters/certn/parsers.h"
#include "core/domain/retry_after.h"
#include "core/errors.h"
#include "core/strings.h"

namespace stagecheck::certn {
namespace {

bool IsTransientHttp(int status) { return status == 408 || status == 429 || status >= 500; }
bool IsSuccess(int status) { return status >= 200 && status < 300; }

std::string Truncate(std::string_view s, size_t n = 200) {
  return std::string(s.substr(0, std::min(n, s.size())));
}

// Certn's Retry-After: seconds or an HTTP-date, read like every other
// server's (core/domain/retry_after.h).
std::optional<absl::Duration> RetryAfter(const HttpReply& reply, std::string_view header) {
  auto value = reply.Header(header);
  if (!value.has_value()) return std::nullopt;
  return ParseRetryAfter(*value, absl::Now());
}

absl::Status Malformed(std::string_view operation, const absl::Status& parse_error,
                       std::string_view api_key) {
  return absl::DataLossError(Redact(
      absl::StrCat("malformed Certn response to ", ToAbsl(operation), ": ", parse_error.message()),
      api_key));
}

// Prefixes the operation and removes the key from the message, keeping the
// payloads (the stable error code) of `status`.
absl::Status WithContext(std::string_view operation, const absl::Status& status,
                         std::string_view api_key) {
  absl::Status out(
      status.code(),
      Redact(absl::StrCat("Certn ", ToAbsl(operation), ": ", status.message()), api_key));
  status.ForEachPayload(
      [&out](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  return out;
}

}  // namespace

std::string Redact(std::string text, std::string_view secret) {
  if (secret.empty()) return text;
  size_t at = 0;
  while ((at = text.find(secret, at)) != std::string::npos) {
    text.replace(at, secret.size(), "[redacted]");
    at += 10;
  }
  return text;
}

CertnHttpGateway::CertnHttpGateway(CertnClientConfig config, Logger* logger,
                                   std::unique_ptr<Transport> transport, CallBudget* budget)
    : config_(std::move(config)),
      logger_(logger),
      transport_(transport ? std::move(transport) : MakeCpprestTransport()),
      limiter_(config_.rate_limit, absl::Now, absl::SleepFor, budget),
      rng_(std::random_device{}()) {}

absl::Duration CertnHttpGateway::Backoff(int attempt) {
  absl::Duration base = config_.retry.initial_backoff * (1 << std::min(attempt - 1, 16));
  base = std::min(base, config_.retry.max_backoff);
  std::lock_guard<std::mutex> lock(rng_mu_);
  // "Equal jitter": half fixed, half random, so retries of many callers spread out.
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  return base * jitter(rng_);
}

void CertnHttpGateway::LogCall(const Call& call, int attempt, std::string_view outcome,
                               absl::Duration took) const {
  if (logger_ == nullptr) return;
  const std::string attempt_text = absl::StrCat(attempt);
  const std::string ms = absl::StrCat(absl::ToInt64Milliseconds(took));
  logger_->Log(LogLevel::kInfo, "certn.call",
               {{"operation", call.operation},
                {"method", call.method},
                {"path", call.path},
                {"attempt", attempt_text},
                {"outcome", outcome},
                {"duration_ms", ms}});
}

absl::StatusOr<HttpReply> CertnHttpGateway::Attempt(const CertnCredentials& creds, const Call& call,
                                                    int attempt) {
  HttpCall http;
  http.method = call.method;
  http.url = config_.BaseUrlFor(creds.region) + call.path;
  http.headers.emplace_back(config_.headers.authorization,
                            absl::StrCat(config_.headers.authorization_scheme, " ", creds.api_key));
  http.headers.emplace_back("Accept", "application/json, application/pdf");
  if (!call.idempotency_key.empty()) {
    http.headers.emplace_back(config_.headers.idempotency_key, call.idempotency_key);
  }
  http.body = call.body;
  http.content_type = "application/json";
  http.connect_timeout = config_.connect_timeout;
  http.total_timeout = config_.total_timeout;
  http.max_response_bytes = call.max_response_bytes;

  const absl::Time start = absl::Now();
  auto reply = transport_->Send(http);
  LogCall(call, attempt, reply.ok() ? absl::StrCat(reply->status) : ErrorCode(reply.status()),
          absl::Now() - start);
  if (!reply.ok()) {
    return absl::Status(reply.status().code(),
                        Redact(std::string(reply.status().message()), creds.api_key));
  }
  return reply;
}

absl::StatusOr<HttpReply> CertnHttpGateway::Execute(const CertnCredentials& creds,
                                                    const Call& call) {
  const int max_attempts = call.retryable ? std::max(1, config_.retry.max_attempts) : 1;
  for (int attempt = 1;; ++attempt) {
    absl::Status token = limiter_.Acquire(creds.api_key, absl::InfiniteFuture(),
                                          {creds.requests_per_minute, creds.requests_per_day});
    if (!token.ok()) return WithContext(call.operation, token, creds.api_key);

    auto reply = Attempt(creds, call, attempt);
    const bool last = attempt >= max_attempts;
    if (!reply.ok()) {
      // Only a failure to connect is retried; a timeout may have reached Certn
      // and already cost the caller the whole budget.
      if (reply.status().code() == absl::StatusCode::kUnavailable && !last) {
        absl::SleepFor(Backoff(attempt));
        continue;
      }
      return WithContext(call.operation, reply.status(), creds.api_key);
    }
    if (IsSuccess(reply->status)) return reply;
    std::optional<absl::Duration> retry_after;
    if (reply->status == 429) retry_after = RetryAfter(*reply, config_.headers.retry_after);
    auto give_up = [&] {
      absl::Status error = WithContext(call.operation, ErrorFromReply(call, *reply), creds.api_key);
      // Queued work waits as long as Certn asked (a second when it did not say).
      if (reply->status == 429)
        error = WithRetryAfter(error, retry_after.value_or(absl::Seconds(1)));
      return error;
    };
    if (!IsTransientHttp(reply->status) || last) return give_up();
    absl::Duration wait = Backoff(attempt);
    if (reply->status == 429) {
      if (retry_after.has_value()) {
        if (*retry_after > config_.retry.max_retry_after) return give_up();
        wait = *retry_after;
        // Every call with this key waits too, not only this one.
        limiter_.PauseUntil(creds.api_key, absl::Now() + wait);
      }
    }
    absl::SleepFor(wait);
  }
}

absl::Status CertnHttpGateway::ErrorFromReply(const Call& call, const HttpReply& reply) const {
  (void)call;
  ErrorBody body = ParseErrorBody(reply.body);
  std::string detail = Truncate(body.detail);
  switch (reply.status) {
    case 400: {
      std::vector<std::string> fields;
      for (const auto& [field, messages] : body.field_errors) {
        fields.push_back(absl::StrCat(field, ": ", absl::StrJoin(messages, " ")));
      }
      return Error(absl::StatusCode::kInvalidArgument, "certn_rejected",
                   Truncate(absl::StrCat("Certn rejected the request: ",
                                         fields.empty() ? detail : absl::StrJoin(fields, "; ")),
                            500));
    }
    case 401:
      if (body.code == config_.wrong_region_code) {
        return Error(absl::StatusCode::kUnauthenticated, "wrong_region",
                     "the API key belongs to another Certn region");
      }
      return Error(absl::StatusCode::kUnauthenticated, "invalid_key",
                   "Certn rejected the API key (invalid key or wrong region)");
    case 403:
      return absl::PermissionDeniedError(absl::StrCat("Certn refused: ", detail));
    case 404:
      return absl::NotFoundError("Certn does not know this object");
    case 405:
    case 410:
      // Not offered (any more) to this account: callers that have another
      // way (the event feed's fallback) take it.
      return Error(absl::StatusCode::kUnimplemented, "certn_endpoint_unavailable",
                   absl::StrCat("Certn does not offer this endpoint (HTTP ", reply.status, ")"));
    case 409:
      return absl::AlreadyExistsError(absl::StrCat("Certn conflict: ", detail));
    case 429:
      return absl::ResourceExhaustedError("Certn's rate limit is exhausted; retry later");
    default:
      break;
  }
  if (IsTransientHttp(reply.status)) {
    return absl::UnavailableError(absl::StrCat("Certn answered HTTP ", reply.status));
  }
  return absl::InternalError(absl::StrCat("Certn answered unexpected HTTP ", reply.status));
}

absl::StatusOr<CertnCase> CertnHttpGateway::ParseCaseReply(const CertnCredentials& creds,
                                                           const Call& call,
                                                           const HttpReply& reply) const {
  auto parsed = ParseCase(reply.body);
  if (!parsed.ok()) {
    return Malformed(call.operation, parsed.status(), creds.api_key);
  }
  return parsed;
}

absl::StatusOr<CertnVerification> CertnHttpGateway::Verify(const CertnCredentials& creds) {
  Call call{.operation = "verify", .method = "GET", .path = config_.paths.groups + "?page=1"};
  auto reply = Execute(creds, call);
  CertnVerification out;
  if (!reply.ok()) {
    const std::string code = ErrorCode(reply.status());
    if (code == "wrong_region") {
      out.status = ConnectionStatus::kWrongRegion;
      out.reason = "the API key belongs to another Certn region";
    } else if (reply.status().code() == absl::StatusCode::kUnauthenticated) {
      // Keys are region-scoped: a key sent to another region's host gets a
      // plain 401 too (docs/certn-api.md).
      out.status = ConnectionStatus::kInvalidKey;
      out.reason = "invalid key or wrong region";
    } else if (reply.status().code() == absl::StatusCode::kUnavailable ||
               reply.status().code() == absl::StatusCode::kDeadlineExceeded) {
      out.status = ConnectionStatus::kUnreachable;
      out.reason = std::string(reply.status().message());
    } else {
      return reply.status();
    }
    return out;
  }
  auto groups = ParseGroupsPage(reply->body);
  if (!groups.ok()) return Malformed(call.operation, groups.status(), creds.api_key);
  out.status = ConnectionStatus::kConnected;
  if (groups->results.empty()) {
    out.reason = "the Certn account has no groups";
  } else if (const auto& team = groups->results.front().team_id; team && !team->empty()) {
    out.certn_team_id = *team;
  }
  return out;
}

absl::StatusOr<std::vector<CertnPackage>> CertnHttpGateway::ListPackages(
    const CertnCredentials& creds) {
  const std::set<std::string> tenant_only(config_.tenant_only_check_types.begin(),
                                          config_.tenant_only_check_types.end());
  const int page_size = std::clamp(config_.page_size, 1, std::max(1, config_.max_page_size));
  std::vector<CertnPackage> out;
  int64_t page = 1;
  for (int fetched = 0;; ++fetched) {
    if (fetched >= config_.max_pages) {
      return absl::DataLossError(
          absl::StrCat("Certn's package list did not end after ", fetched, " pages"));
    }
    Call call{.operation = "list_packages",
              .method = "GET",
              .path = absl::StrCat(config_.paths.packages, "?is_active=true&page=", page,
                                   "&page_size=", page_size)};
    auto reply = Execute(creds, call);
    if (!reply.ok()) return reply.status();
    auto parsed = ParsePackagesPage(reply->body);
    if (!parsed.ok()) return Malformed(call.operation, parsed.status(), creds.api_key);
    for (CertnPackage& package : parsed->results) {
      // check_types is optional: a package that lists none is kept; one that
      // lists only tenant-screening checks is hidden.
      const bool listed = !package.check_types.empty();
      std::erase_if(package.check_types,
                    [&](const std::string& t) { return tenant_only.count(t) > 0; });
      if (!listed || !package.check_types.empty()) out.push_back(std::move(package));
    }
    const auto& next = parsed->pagination.next_page;
    if (!next.has_value()) return out;
    if (*next <= page) {
      return absl::DataLossError("Certn's package list pointed back to an earlier page");
    }
    page = *next;
  }
}

absl::StatusOr<CertnCase> CertnHttpGateway::OrderPackage(const CertnCredentials& creds,
                                                         const CertnOrder& order) {
  if (order.package_id.empty()) return absl::InvalidArgumentError("order: package_id is required");
  if (order.email.empty()) return absl::InvalidArgumentError("order: email is required");
  // Without an idempotency reference a retry could order a second case, so
  // such an order gets exactly one attempt.
  Call call{.operation = "order_package",
            .method = "POST",
            .path = config_.paths.order_package,
            .body = SerializeOrderPackage(order),
            .idempotency_key = order.reference,
            .retryable = !order.reference.empty()};
  auto reply = Execute(creds, call);
  if (!reply.ok()) return reply.status();
  return ParseCaseReply(creds, call, *reply);
}

absl::StatusOr<CertnCase> CertnHttpGateway::GetCase(const CertnCredentials& creds,
                                                    const std::string& case_id) {
  if (case_id.empty()) return absl::InvalidArgumentError("get_case: case id is required");
  Call call{.operation = "get_case",
            .method = "GET",
            .path = ExpandPath(config_.paths.case_detail, case_id)};
  auto reply = Execute(creds, call);
  if (!reply.ok()) return reply.status();
  return ParseCaseReply(creds, call, *reply);
}

absl::Status CertnHttpGateway::CancelCase(const CertnCredentials& creds,
                                          const std::string& case_id) {
  if (case_id.empty()) return absl::InvalidArgumentError("cancel_case: case id is required");
  // Cancelling twice ends in the same state, so retrying is safe. Certn
  // answers 204 without a body; a body, if any, is not read.
  Call call{.operation = "cancel_case",
            .method = "POST",
            .path = ExpandPath(config_.paths.cancel_case, case_id)};
  auto reply = Execute(creds, call);
  return reply.ok() ? absl::OkStatus() : reply.status();
}

absl::Status CertnHttpGateway::GenerateReport(const CertnCredentials& creds,
                                              const std::string& case_id) {
  if (case_id.empty()) return absl::InvalidArgumentError("generate_report: case id is required");
  Call call{.operation = "generate_report",
            .method = "POST",
            .path = ExpandPath(config_.paths.generate_report, case_id)};
  auto reply = Execute(creds, call);
  return reply.ok() ? absl::OkStatus() : reply.status();
}

bool CertnHttpGateway::MayDownloadFrom(const CertnCredentials& creds, std::string_view url) const {
  if (url.rfind("https://", 0) == 0) return true;
  // Plain http only to the origin (scheme, host, port) of the configured
  // Certn base URL itself: the fake Certn in tests.
  constexpr std::string_view kHttp = "http://";
  const std::string base = config_.BaseUrlFor(creds.region);
  if (base.rfind(kHttp, 0) != 0 || url.rfind(kHttp, 0) != 0) return false;
  auto origin = [&](std::string_view u) { return u.substr(0, u.find('/', kHttp.size())); };
  const std::string_view base_origin = origin(base);
  const std::string_view url_origin = origin(url);
  return url_origin == base_origin && url.size() > url_origin.size();
}

absl::StatusOr<std::string> CertnHttpGateway::DownloadReport(const CertnCredentials& creds,
                                                             const std::string& report_file_id,
                                                             int64_t max_bytes) {
  if (report_file_id.empty())
    return absl::InvalidArgumentError("download_report: report file id is required");
  // 1. A fresh short-lived URL (docs/certn-api.md).
  Call call{.operation = "report_file",
            .method = "GET",
            .path = ExpandPath(config_.paths.report_file, report_file_id),
            .max_response_bytes = 64 * 1024};
  auto reply = Execute(creds, call);
  if (!reply.ok()) return reply.status();
  auto file = ParseReportFile(reply->body);
  if (!file.ok()) return Malformed(call.operation, file.status(), creds.api_key);
  if (!MayDownloadFrom(creds, file->url)) {
    return Error(absl::StatusCode::kDataLoss, "report_url_refused",
                 "Certn's report URL is not https; it was not downloaded");
  }
  if (file->expires_at && *file->expires_at <= absl::Now()) {
    return absl::UnavailableError(
        "Certn's report URL had expired when it arrived; a fresh one will be asked for");
  }
  // 2. Download it at once: no Certn credentials, no redirects followed (a
  // 3xx is a failure), capped. The URL is neither logged nor put in a message.
  HttpCall http;
  http.method = "GET";
  http.url = file->url;
  http.headers.emplace_back("Accept", "application/pdf");
  http.connect_timeout = config_.connect_timeout;
  http.total_timeout = config_.total_timeout;
  http.max_response_bytes = std::max<int64_t>(0, max_bytes);
  Call logged{.operation = "download_report", .method = "GET", .path = "[presigned report URL]"};
  const absl::Time start = absl::Now();
  auto pdf = transport_->Send(http);
  LogCall(logged, 1, pdf.ok() ? absl::StrCat(pdf->status) : ErrorCode(pdf.status()),
          absl::Now() - start);
  if (!pdf.ok()) {
    if (pdf.status().code() == absl::StatusCode::kResourceExhausted) {
      return absl::ResourceExhaustedError(
          absl::StrCat("Certn's report is larger than ", max_bytes, " bytes"));
    }
    // Any other failure: the caller retries, with a fresh URL.
    return absl::UnavailableError("the report download failed; a fresh URL will be asked for");
  }
  if (pdf->status >= 300 && pdf->status < 400) {
    return absl::UnavailableError(
        absl::StrCat("the report URL answered a redirect (", pdf->status, "), which is refused"));
  }
  if (!IsSuccess(pdf->status)) {
    // 403/404 of an expired presigned URL: retried with a fresh one.
    return absl::UnavailableError(absl::StrCat("the report URL answered HTTP ", pdf->status));
  }
  if (pdf->body.rfind("%PDF-", 0) != 0) {
    return absl::DataLossError("Certn's report file is not a PDF");
  }
  return std::move(pdf->body);
}

absl::StatusOr<CertnEventsRead> CertnHttpGateway::ListEvents(
    const CertnCredentials& creds, const std::optional<std::string>& after_event_id, int max_pages,
    absl::Time young_after) {
  const std::string& base_path = config_.paths.events;
  // The largest page Certn gives, so that an interval's events are one call.
  std::string path = absl::StrCat(base_path, "?page_size=", std::max(1, config_.max_page_size));
  if (after_event_id && !after_event_id->empty()) {
    absl::StrAppend(&path, "&", config_.paths.events_cursor_param, "=",
                    PercentEncode(*after_event_id));
  }
  CertnEventsRead out;
  std::set<std::string> asked;
  for (int pages = 0; pages < std::max(1, max_pages); ++pages) {
    asked.insert(path);
    Call call{.operation = "list_events", .method = "GET", .path = path};
    auto reply = Execute(creds, call);
    if (!reply.ok()) {
      if (reply.status().code() == absl::StatusCode::kNotFound ||
          reply.status().code() == absl::StatusCode::kUnimplemented) {
        return Error(absl::StatusCode::kUnimplemented, "events_feed_unavailable",
                     "Certn's event feed is not available for this account");
      }
      return reply.status();
    }
    auto page = ParseEventsPage(reply->body);
    if (!page.ok()) return Malformed(call.operation, page.status(), creds.api_key);
    bool young = false;
    for (CertnEvent& event : page->results) {
      young = young || event.CreatedAfter(young_after);
      out.events.push_back(std::move(event));
    }
    // A young event is left for a later read with everything after it: the
    // pages after it would be read again then (one call an interval, not
    // one a page of the last `events_grace` of events).
    if (!page->next || young) return out;
    // Only the path and query of `next` are used, under the configured base
    // URL: the key is never sent to a host a response names.
    const size_t at = page->next->find(base_path);
    if (at == std::string::npos) {
      return Malformed(call.operation,
                       absl::InvalidArgumentError("field 'next' is not a URL of the event feed"),
                       creds.api_key);
    }
    path = page->next->substr(at);
    if (asked.count(path) > 0) {
      return Malformed(
          call.operation,
          absl::InvalidArgumentError("field 'next' points back to a page already read"),
          creds.api_key);
    }
  }
  out.more = true;
  return out;
}

}  // namespace stagecheck::certn
