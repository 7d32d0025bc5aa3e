// The port through which the core and the Certn plugin talk to Certn. The one
// real implementation is adapters/certn (cpprestsdk); tests use the fake Certn
// in fixtures/ through that same adapter.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/domain/check_status.h"
#include "plugin/certn/domain/integration.h"

namespace stagecheck {

// The clear credentials of one call. Never logged, never put in an error.
struct CertnCredentials {
  std::string api_key;
  CertnRegion region = CertnRegion::kNorthAmerica;
  // The account's rate limit (the integration's setting); 0: the adapter's default.
  int requests_per_minute = 0;
  int requests_per_day = 0;
};

struct CertnVerification {
  ConnectionStatus status = ConnectionStatus::kUnverified;
  std::string reason;  // human-readable, no secrets
  // The Certn team the key answers for, when Certn names one (a group's
  // team_id); absent otherwise, and deliveries are then matched by case.
  std::optional<std::string> certn_team_id;
};

struct CertnPackage {
  std::string id;
  std::string name;
  std::vector<std::string> check_types;
};

struct CertnOrder {
  std::string package_id;
  std::string email;
  std::string first_name;
  std::string last_name;
  // Our idempotency reference: the same reference never makes two cases.
  std::string reference;
};

struct CertnCheckResult {
  std::string id;
  std::string check_type;
  std::string status;
  std::optional<std::string> result;
  std::optional<absl::Time> completed;
};

// Only `id` and `overall_status` are required of Certn (docs/certn-api.md);
// every other field has the default shown when Certn leaves it out.
struct CertnCase {
  std::string id;
  std::string short_id;                        // "" when absent (the report is then named by `id`)
  std::string overall_status;                  // Certn's vocabulary, kept for display
  CheckStatus status = CheckStatus::kInvited;  // normalized by the adapter's one table
  std::string error_reason;                    // when status is error or cancelled
  // False when overall_status is not in the adapter's table: status is then
  // in_progress, and the plugin logs and counts it.
  bool overall_status_known = true;
  // CLEAR, REVIEW, REJECT, NOT_APPLICABLE or RESTRICTED; absent until scored.
  std::optional<std::string> overall_score;
  std::string email;
  std::string package_id;
  std::optional<absl::Time> created;
  std::optional<absl::Time> modified;
  std::optional<absl::Time> completed;
  std::optional<std::string> report_url;
  std::optional<std::string> report_file_id;
  // Certn's estimate of when the case completes, when it gives one
  // (docs/certn-api.md, Cases: optional; a guess of ours by name).
  std::optional<absl::Time> estimated_completion;
  std::vector<CertnCheckResult> checks;
};

// The error code of a call refused because the account's daily budget is
// spent (ResourceExhausted, with a Retry-After until 00:00 UTC): queued work
// waits for the next day, and the check says why.
inline constexpr std::string_view kDailyLimitCode = "certn_daily_limit";

// One entry of Certn's event feed (docs/certn-api.md, "Event feed"; the
// field names are guesses kept in adapters/certn/parsers.cc's field table).
struct CertnEvent {
  std::string id;          // the feed's cursor value; required
  std::string event_type;  // "" when absent
  // The case the event is about; absent when the event names none or is
  // about another kind of object.
  std::optional<std::string> case_id = {};
  std::optional<absl::Time> created = {};  // when Certn recorded it, if it says

  // Made after `t`; an event that does not say when is not.
  bool CreatedAfter(absl::Time t) const { return created.has_value() && *created > t; }
};

// What one read of the feed brought: the events after the cursor, oldest
// first, and whether Certn has more than the pages this read was allowed.
struct CertnEventsRead {
  std::vector<CertnEvent> events;
  bool more = false;
};

class CertnGateway {
 public:
  virtual ~CertnGateway() = default;

  // A cheap authenticated call. Certn being down is a verification outcome
  // (kUnreachable), not an error.
  virtual absl::StatusOr<CertnVerification> Verify(const CertnCredentials& creds) = 0;
  // Every page; packages made only of tenant-screening checks are dropped.
  virtual absl::StatusOr<std::vector<CertnPackage>> ListPackages(const CertnCredentials& creds) = 0;
  virtual absl::StatusOr<CertnCase> OrderPackage(const CertnCredentials& creds,
                                                 const CertnOrder& order) = 0;
  virtual absl::StatusOr<CertnCase> GetCase(const CertnCredentials& creds,
                                            const std::string& case_id) = 0;
  // Certn answers 204 without a body (docs/certn-api.md); the new state
  // arrives by webhook or the next fetch. Safe to run twice.
  virtual absl::Status CancelCase(const CertnCredentials& creds, const std::string& case_id) = 0;
  // Asks Certn to generate the case's PDF; CASE_REPORT_READY follows.
  virtual absl::Status GenerateReport(const CertnCredentials& creds,
                                      const std::string& case_id) = 0;
  // The PDF bytes of a generated report: reads report-files/{id} for a fresh
  // short-lived URL and downloads it at once, without Certn credentials. The
  // URL never leaves the adapter (not returned, logged or put in an error),
  // so a failed or expired download is retried by calling this again.
  // ResourceExhausted past max_bytes; DataLoss when it is not a PDF.
  virtual absl::StatusOr<std::string> DownloadReport(const CertnCredentials& creds,
                                                     const std::string& report_file_id,
                                                     int64_t max_bytes) = 0;
  // The account's events after `after_event_id` (every event from the start
  // of the feed when absent), following the feed's pages up to `max_pages`,
  // but not past a page holding an event created after `young_after`: the
  // caller leaves such an event, and every later one, for a later read
  // (the feed is oldest first), so their pages would be read again then.
  // Only reads, so it may run twice. Unimplemented (code
  // events_feed_unavailable) when Certn has no feed for this account (HTTP
  // 404, 405, 410); DataLoss when the answer has an unexpected shape; both
  // mean "the feed cannot answer": the caller falls back to case fetches.
  // Other errors (unavailable, rate limited) are worth trying again later.
  virtual absl::StatusOr<CertnEventsRead> ListEvents(
      const CertnCredentials& creds, const std::optional<std::string>& after_event_id,
      int max_pages, absl::Time young_after) = 0;
};

}  // namespace stagecheck
