// The two CallBudgets (core/ports/call_budget.h): one process's own, and one
// shared through the store by every replica on the same database.
#pragma once

#include <deque>
#include <map>
#include <mutex>

#include "core/ports/call_budget.h"
#include "core/ports/store.h"

namespace stagecheck {

// Keeps, per account, the times of the grants still inside the window (not a
// token bucket: one refilling evenly would allow up to twice the limit in a
// minute after a burst, and the vendor counts a rolling window).
class InProcessCallBudget final : public CallBudget {
 public:
  absl::StatusOr<CallSlot> TryTake(int64_t account, absl::Time now,
                                   const CallLimits& limits) override;

 private:
  struct Account {
    std::deque<absl::Time> granted;  // grants inside the window, oldest first
    absl::Time day;                  // the UTC day `day_count` counts
    int day_count = 0;
  };
  std::mutex mu_;
  std::map<int64_t, Account> accounts_;
};

// The same rule over the store, so replicas share it: each grant is a row,
// read and written in one transaction under a per-account lock
// (UnitOfWork::TakeCallSlot).
class SharedCallBudget final : public CallBudget {
 public:
  explicit SharedCallBudget(Store& store) : store_(store) {}
  absl::StatusOr<CallSlot> TryTake(int64_t account, absl::Time now,
                                   const CallLimits& limits) override;

 private:
  Store& store_;
};

}  // namespace stagecheck
