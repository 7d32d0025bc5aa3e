// How long a team keeps what it does not need forever (issue 19): a
// completed check's report data (the report file and the per-check
// results), the bodies of the webhook deliveries it received, and the
// metadata of deliveries that could not be verified. Each is a number of
// days; the retention job (core/services/retention.h) purges what is older.
#pragma once

#include <optional>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/ids.h"

namespace stagecheck {

struct RetentionSettings {
  int report_days = 365;                 // after the check completed
  int delivery_body_days = 30;           // after the delivery was received
  int unverified_metadata_days = 7;      // refused deliveries' metadata
  std::optional<absl::Time> updated_at;  // absent: the defaults, never changed
};

inline constexpr int kMinRetentionDays = 1;
inline constexpr int kMaxRetentionDays = 3650;

// A change an admin asks for; absent fields keep their value.
struct RetentionPatch {
  std::optional<int> report_days;
  std::optional<int> delivery_body_days;
  std::optional<int> unverified_metadata_days;
};

// InvalidArgument (code invalid_retention, field named) when a value is
// outside [kMinRetentionDays, kMaxRetentionDays].
absl::Status ApplyRetentionPatch(const RetentionPatch& patch, RetentionSettings& settings);

}  // namespace stagecheck
