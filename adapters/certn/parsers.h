// JSON text from Certn -> core structs (RapidJSON; no HTTP here, so the fuzz
// target and unit tests need no cpprestsdk). A tolerant reader (docs/certn-api.md
// section 5, docs in fixtures/README.md): only the fields of
// RequiredFieldTable() are required, and a missing or wrongly typed one is an
// InvalidArgument naming it ("results[1].name"). Every other field is
// optional: absent, null or unreadable, it takes its default. Unknown extra
// fields are ignored. The gateway reports errors as DataLoss.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "plugin/certn/ports/certn_gateway.h"

namespace stagecheck::certn {

struct Pagination {
  int64_t result_count = 0;
  int64_t page_count = 0;
  int64_t page_size = 0;
  int64_t current_page = 1;
  std::optional<int64_t> next_page;  // null on the last page
};

template <typename T>
struct Page {
  Pagination pagination;
  std::vector<T> results;
};

struct CertnGroup {
  std::string id;    // optional: "" when absent
  std::string name;  // optional: "" when absent
  // The Certn team (account) the key answers for, when the answer names one.
  std::optional<std::string> team_id;
};

// The fields a flow cannot work without, per object, and (where Certn's
// field names are a guess) the optional names the adapter reads.
struct RequiredFields {
  std::string_view object;  // "case", "package", "page", "group", "check", "event", "events_page"
  std::vector<std::string_view> fields;
  std::vector<std::string_view> optional = {};
};
const std::vector<RequiredFields>& RequiredFieldTable();

// The body of an error answer: {"detail": ..., "code": ...} or field errors
// {"<field>": ["<message>", ...]}. Best effort: never fails.
struct ErrorBody {
  std::string detail;
  std::string code;
  std::vector<std::pair<std::string, std::vector<std::string>>> field_errors;
};

absl::StatusOr<Page<CertnGroup>> ParseGroupsPage(std::string_view json);
absl::StatusOr<Page<CertnPackage>> ParsePackagesPage(std::string_view json);
// Also fills status / error_reason through the status table.
absl::StatusOr<CertnCase> ParseCase(std::string_view json);
ErrorBody ParseErrorBody(std::string_view json);

// The answer of report-files/{id} (docs/certn-api.md). `url` is required.
struct ReportFile {
  std::string id;
  std::string url;  // short-lived, presigned: never stored, logged or shown
  std::optional<absl::Time> expires_at;
};
absl::StatusOr<ReportFile> ParseReportFile(std::string_view json);
// One page of the event feed (docs/certn-api.md, "Event feed"; the shape
// is a third-party guess, so every name is in RequiredFieldTable): only
// `results` and each event's `id` are required. `next` (absent or null on
// the last page) is the URL of the next page; a value that is not a string
// is an error (ignoring it would drop events).
struct EventsPage {
  std::vector<CertnEvent> results;
  std::optional<std::string> next;
};
absl::StatusOr<EventsPage> ParseEventsPage(std::string_view json);

// ISO 8601 / RFC 3339 ("2024-05-01T10:00:00Z", fractions and offsets allowed).
absl::StatusOr<absl::Time> ParseTimestamp(std::string_view text);

// The order-package request body (docs/certn-api.md: the field is "package").
std::string SerializeOrderPackage(const CertnOrder& order);

}  // namespace stagecheck::certn
