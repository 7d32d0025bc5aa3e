// libFuzzer target for the Certn response parsers: any byte string must give
// a value or an error, never a crash, a hang or undefined behaviour; and a
// parsed case must be consistent with the status table.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "adapters/certn/parsers.h"
#include "adapters/certn/status_map.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  using namespace stagecheck;         // NOLINT: a fuzz entry point, kept short
  using namespace stagecheck::certn;  // NOLINT

  auto parsed = ParseCase(text);
  if (parsed.ok()) {
    // The table's own rules: an error status always carries its reason, and
    // only error and cancelled (applicant_declined) carry one.
    const bool is_error = parsed->status == CheckStatus::kError;
    if (is_error && parsed->error_reason.empty()) std::abort();
    if (!is_error && parsed->status != CheckStatus::kCancelled && !parsed->error_reason.empty())
      std::abort();
    NormalizedStatus again = NormalizeCaseStatus(parsed->overall_status, parsed->checks);
    if (again.status != parsed->status || again.known != parsed->overall_status_known) std::abort();
    // Tolerant reading never invents a score outside Certn's five.
    if (parsed->overall_score && !ParseOverallScore(*parsed->overall_score)) std::abort();
  }
  if (auto events = ParseEventsPage(text); events.ok()) {
    // Every event read has an id (the cursor), and a case id is never empty.
    for (const CertnEvent& e : events->results) {
      if (e.id.empty() || (e.case_id && e.case_id->empty())) std::abort();
    }
  }
  (void)ParseReportFile(text);
  (void)ParsePackagesPage(text);
  (void)ParseGroupsPage(text);
  (void)ParseErrorBody(text);
  (void)ParseTimestamp(text);
  return 0;
}
