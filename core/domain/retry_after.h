// Retry-After (RFC 9110, section 10.2.3), read the same way for every server
// that can ask us to wait: the background-check vendor (its gateway) and the host
// ATS's webhook endpoints (adapters/outbound). The value is delta-seconds or
// an HTTP-date. Read tolerantly: fractional seconds are accepted (some servers
// send them), surrounding spaces are ignored; a date in the past means "now".
// Anything else is no answer at all (nullopt), so the caller's own schedule
// applies. The result is not capped: each caller decides how long it is
// prepared to wait.
#pragma once

#include <optional>
#include <string_view>

#include "absl/time/time.h"

namespace stagecheck {

std::optional<absl::Duration> ParseRetryAfter(std::string_view value, absl::Time now);

}  // namespace stagecheck
