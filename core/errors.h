// Errors are absl::Status values. A status may carry a stable, machine-readable
// `code` (e.g. "no_email", "report_not_ready") that the HTTP edge puts in the
// problem+json body; without one, the code is derived from the canonical code.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace stagecheck {

absl::Status Error(absl::StatusCode canonical, std::string_view code, std::string_view message);
// The stable code of a status: its own when set, else e.g. "not_found".
std::string ErrorCode(const absl::Status& status);

// The request field an invalid-input error is about ("title",
// "settings/package_id"); the HTTP edge adds it to the problem as `field`.
absl::Status WithField(absl::Status status, std::string_view field);
std::optional<std::string> ErrorField(const absl::Status& status);

// A rate limit's refusal carries when a retry can succeed, so that queued
// work waits exactly that long instead of backing off as if it had failed.
absl::Status WithRetryAfter(absl::Status status, absl::Duration after);
std::optional<absl::Duration> RetryAfterOf(const absl::Status& status);

// A fault worth retrying (the other side is down, slow or busy); anything
// else ends the work with its reason.
bool IsTransient(const absl::Status& status);

}  // namespace stagecheck
