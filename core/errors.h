// Errors are absl::Status values. A status may carry a stable, machine-readable
// `code` (e.g. "no_email", "report_not_ready") that the HTTP edge puts in the
// problem+json body; without one, the code is derived from the canonical code.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace stagecheck {

absl::Status Error(absl::StatusCode canonical, std::string_view code, std::string_view message);
// The stable code of a status: its own when set, else e.g. "not_found".
std::string ErrorCode(const absl::Status& status);

}  // namespace stagecheck
