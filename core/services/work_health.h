// Is durable work moving? A stuck pipeline (a worker that died, a database
// that refuses the worker's writes) must not look healthy: /metrics reports
// how long the oldest due item has waited, and /readyz fails once that is
// longer than kWorkStallsAfter.
//
//   absl::StatusOr<WorkHealth> health = CheckWorkHealth(store, clock.Now());
//   if (health.ok() && health->stalled) { /* 503 work_stalled */ }
//
// Waiting items that are not due (a rate limit's slot, a retry's backoff,
// a vendor's daily budget) do not count: a backlog that is being worked through
// is not a stall.
#pragma once

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/ports/store.h"

namespace stagecheck {

// Generous: a healthy worker picks a due item up within seconds, and the
// longest a handler runs is bounded by the vendor clients' timeouts.
inline constexpr absl::Duration kWorkStallsAfter = absl::Minutes(10);

struct WorkHealth {
  absl::Duration oldest_due_age = absl::ZeroDuration();  // zero when nothing is due
  bool stalled = false;                                  // oldest_due_age > stall_after
};

absl::StatusOr<WorkHealth> CheckWorkHealth(Store& store, absl::Time now,
                                           absl::Duration stall_after = kWorkStallsAfter);

}  // namespace stagecheck
