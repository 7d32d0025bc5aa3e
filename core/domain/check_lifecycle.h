// What the later life of a check leaves behind besides its status: how long
// completed checks took (the turnaround report and the projection of an open
// check's completion) and what a result rule did once a check completed.
#pragma once

#include <optional>
#include <string>

#include "absl/time/time.h"
#include "core/ids.h"

namespace stagecheck {

// One completed check, as turnaround statistics read it.
struct CompletedCheck {
  CheckId id;
  std::string package_id;
  std::string package_name;
  absl::Time sent_at;       // created
  absl::Time completed_at;  // the vendor's completion time
  // The vendor's overall result (CLEAR, REVIEW, ...), if scored.
  std::optional<std::string> overall_score;
};

// What a result rule did with one completed check: recorded once per check,
// so a rule never acts twice on it (a replayed webhook, a second replica).
struct ResultRuleRun {
  TeamId team;
  CheckId check;
  ActivityId activity;           // whose rule it was
  std::string action;            // "moved", "flagged", "kept"
  std::optional<StageId> stage;  // "moved": the stage it moved the application to
  std::string detail;            // in words, as the feed says it
  absl::Time at;
};

// When an open check should be done: the vendor's own estimate when its case
// carries one, else a projection from the team's completed checks of the
// same package (sent + median turnaround; past sent + p90 it is delayed).
struct ExpectedCompletion {
  enum class Source { kVendor, kProjection, kNone };
  Source source = Source::kNone;
  std::optional<absl::Time> at;       // the estimate, or sent + median
  std::optional<absl::Time> late_at;  // past this the check is delayed
  int based_on = 0;                   // completed checks the projection reads
  absl::Duration median = absl::ZeroDuration();
  absl::Duration p90 = absl::ZeroDuration();
  bool delayed = false;
};

}  // namespace stagecheck
