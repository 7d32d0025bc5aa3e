// A budget of outbound calls per vendor account. A vendor's rate limit counts
// every call an account makes, whoever makes it, so the budget must be shared
// by every process that calls with that account: in-process for one SQLite
// replica, through the store for PostgreSQL replicas (docs/architecture.md,
// "Rate limits").
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace stagecheck {

struct CallLimits {
  int per_window = 0;                        // calls granted in any rolling `window`
  absl::Duration window = absl::Minutes(1);  // how long a grant counts
  int per_day = 0;                           // calls granted in one UTC day; 0: no daily budget
};

// The answer to one request for a call slot.
struct CallSlot {
  // Zero: a slot was taken at `now`. Otherwise nothing was taken, and this is
  // how long until one may free.
  absl::Duration wait = absl::ZeroDuration();
  // The day's budget is what is spent (`wait` then runs to 00:00 UTC).
  bool day_spent = false;
};

// The start of the UTC day `t` falls in, and of the next one.
absl::Time UtcDayStart(absl::Time t);
absl::Time NextUtcMidnight(absl::Time t);

class CallBudget {
 public:
  virtual ~CallBudget() = default;
  // Takes one slot for `account` (an opaque 64-bit key: never a secret) at
  // `now` when `limits` allow it. Thread-safe. An error only when the budget
  // itself cannot be read (the shared store is down).
  virtual absl::StatusOr<CallSlot> TryTake(int64_t account, absl::Time now,
                                           const CallLimits& limits) = 0;
};

}  // namespace stagecheck
