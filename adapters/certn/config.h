// Every assumption the Certn adapter makes about Certn lives here (docs/certn-api.md
// marks most of them [guess]): hosts per region, paths, header names, the
// tenant-only check types, paging, timeouts and the client-side rate limit.
// Nothing else in adapters/certn hard-codes a URL, a path or a header name.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "plugin/certn/domain/integration.h"

namespace stagecheck::certn {

struct CertnPaths {
  std::string groups = "/api/public/groups/";
  std::string packages = "/api/public/packages/";  // asked with ?is_active=true
  std::string order_package = "/api/public/cases/order-package/";
  // "{id}" is replaced by the (percent-encoded) case or report-file id.
  std::string case_detail = "/api/public/cases/{id}/";
  std::string cancel_case = "/api/public/cases/{id}/cancel/";
  std::string generate_report = "/api/public/cases/{id}/generate-report/";
  // Answers JSON {"id", "url", "expires_at"}: a short-lived presigned URL.
  std::string report_file = "/api/public/cases/report-files/{id}/";
  // The account's event feed [3p, docs/certn-api.md]: asked with
  // ?page_size=<max_page_size>&last_processed_event_id=<id> (no id on the
  // first read); its pages link with `next`, a URL whose part from this
  // path on is requested.
  std::string events = "/api/public/events/";
  std::string events_cursor_param = "last_processed_event_id";
};

struct CertnHeaders {
  std::string authorization = "Authorization";
  std::string authorization_scheme = "Api-Key";  // "Authorization: Api-Key <key>"
  std::string idempotency_key = "Idempotency-Key";
  std::string retry_after = "Retry-After";
};

// docs/certn-api.md: 60 requests a minute and 7,220 a day per account.
struct RateLimitConfig {
  int burst = 60;                            // calls allowed in any rolling window
  absl::Duration window = absl::Minutes(1);  // the rolling window
  // A grant counts for window + margin. Certn counts a call when it arrives,
  // a few milliseconds after we granted it, so a call granted exactly as the
  // oldest leaves our window can still be inside Certn's and earn a 429 whose
  // Retry-After stalls every call of the key. [measured against the fake:
  // 6 such 429s in a 1,000-send burst without the margin]
  absl::Duration margin = absl::Seconds(1);
  // How long a call may wait for a token before it fails with ResourceExhausted.
  absl::Duration max_wait = absl::Seconds(5);
  // Calls allowed per UTC day [3p: "7,220 per day"; when the day starts is
  // our guess]; 0: no daily budget. Once spent, calls fail at once with
  // ResourceExhausted code certn_daily_limit and a Retry-After until 00:00
  // UTC, so queued work waits for the next day and nothing is lost.
  int per_day = 7220;
};

struct RetryConfig {
  int max_attempts = 3;  // including the first
  absl::Duration initial_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(5);
  // A Retry-After longer than this is not waited for: the call fails with
  // ResourceExhausted instead of blocking a worker for minutes.
  absl::Duration max_retry_after = absl::Seconds(30);
};

struct CertnClientConfig {
  // The one host table (docs/certn-api.md: regional hosts from three
  // third-party codebases; keys are region-scoped). A value may contain
  // "{region}", replaced by the region's name (north_america, uk_emea, apac, sandbox).
  std::map<CertnRegion, std::string> base_urls = {
      {CertnRegion::kNorthAmerica, "https://api.ca.certn.co"},
      {CertnRegion::kUkEmea, "https://api.uk.certn.co"},
      {CertnRegion::kApac, "https://api.au.certn.co"},
      {CertnRegion::kSandbox, "https://api.sandbox.certn.co"},
  };
  // When set, used for every region (STAGECHECK_CERTN_BASE_URL, --certn-base-url).
  std::optional<std::string> base_url_override;

  CertnPaths paths;
  CertnHeaders headers;
  // Tenant-screening check types: never offered; a package made only of them is hidden.
  std::vector<std::string> tenant_only_check_types = {"QUESTIONNAIRE_1", "INCOME_VERIFICATION_1",
                                                      "RENTAL_HISTORY_1"};
  int page_size = 50;       // asked for on every list call
  int max_page_size = 100;  // Certn's documented maximum [guess]
  int max_pages = 100;      // a safety stop against a server that never ends a list

  // Connect and per-read inactivity timeout, and the cap on a whole call.
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration total_timeout = absl::Seconds(30);

  RateLimitConfig rate_limit;
  RetryConfig retry;
  // Error detail / code by which a Certn host says the key belongs to another
  // region (the fake Certn answers 401 {"detail": ..., "code": "wrong_region"}).
  std::string wrong_region_code = "wrong_region";

  // The base URL for a region after the override and "{region}" substitution.
  std::string BaseUrlFor(CertnRegion region) const;
  // Applies STAGECHECK_CERTN_BASE_URL when it is set and not empty.
  CertnClientConfig& ApplyEnvironment();
};

inline constexpr std::string_view kBaseUrlEnv = "STAGECHECK_CERTN_BASE_URL";

// Replaces "{id}" in a path template with the percent-encoded id.
std::string ExpandPath(std::string_view path_template, std::string_view id);
std::string PercentEncode(std::string_view s);

}  // namespace stagecheck::certn
