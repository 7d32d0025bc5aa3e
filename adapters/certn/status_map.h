// The one table from Certn's case `overall_status` vocabulary to our
// normalized CheckStatus (docs/certn-api.md, "Mapping to our normalized status").
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/domain/check_status.h"
#include "plugin/certn/ports/certn_gateway.h"

namespace stagecheck::certn {

struct NormalizedStatus {
  CheckStatus status = CheckStatus::kInvited;
  // "invite_undeliverable" / "applicant_expired" (error), "applicant_declined" (cancelled).
  std::string error_reason;
  bool known = true;  // false: not in the table, mapped to in_progress
};

// A value outside the table maps to in_progress with known = false (docs/certn-api.md
// section 5: an unknown status never fails a case fetch). In-progress
// statuses become partial when some checks are COMPLETE and others are not
// (superseded and cancelled checks do not count).
NormalizedStatus NormalizeCaseStatus(std::string_view overall_status,
                                     const std::vector<CertnCheckResult>& checks);

// overall_score (docs/certn-api.md): one of KnownOverallScores(), else absent.
std::optional<std::string> ParseOverallScore(std::string_view score);
const std::vector<std::string_view>& KnownOverallScores();

// Every overall_status the table knows, in Certn's order of precedence.
const std::vector<std::string_view>& KnownOverallStatuses();

}  // namespace stagecheck::certn
