// The one table from Certn's case `overall_status` vocabulary to our
// normalized CheckStatus (CERTN.md, "Mapping to our normalized status").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/domain/check_status.h"
#include "core/ports/certn_gateway.h"

namespace stagecheck::certn {

struct NormalizedStatus {
  CheckStatus status = CheckStatus::kInvited;
  std::string error_reason;  // "invite_undeliverable" / "applicant_expired" when status is error
};

// InvalidArgument naming `overall_status` for a value outside the table.
// In-progress statuses become partial when some checks are COMPLETE and
// others are not (superseded and cancelled checks do not count).
absl::StatusOr<NormalizedStatus> NormalizeCaseStatus(std::string_view overall_status,
                                                     const std::vector<CertnCheckResult>& checks);

// Every overall_status the table knows, in Certn's order of precedence.
const std::vector<std::string_view>& KnownOverallStatuses();

}  // namespace stagecheck::certn
