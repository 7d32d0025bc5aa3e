#include "core/ports/call_budget.h"

#include "core/services/call_budgets.h"
#include "gtest/gtest.h"

namespace stagecheck {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

TEST(CallBudgetTest, UtcDaysStartAtMidnight) {
  const absl::Time t = absl::FromUnixSeconds(86400 * 3 + 5);
  EXPECT_EQ(UtcDayStart(t), absl::FromUnixSeconds(86400 * 3));
  EXPECT_EQ(NextUtcMidnight(t), absl::FromUnixSeconds(86400 * 4));
  EXPECT_EQ(UtcDayStart(absl::FromUnixSeconds(86400 * 4)), absl::FromUnixSeconds(86400 * 4));
  EXPECT_EQ(UtcDayStart(absl::FromUnixSeconds(-1)), absl::FromUnixSeconds(-86400));
}

TEST(CallBudgetTest, InProcessBudgetFollowsTheRollingWindowAndTheDay) {
  InProcessCallBudget budget;
  const CallLimits limits{.per_window = 2, .window = absl::Seconds(10), .per_day = 3};
  EXPECT_EQ(budget.TryTake(1, kT0, limits)->wait, absl::ZeroDuration());
  EXPECT_EQ(budget.TryTake(1, kT0 + absl::Seconds(4), limits)->wait, absl::ZeroDuration());
  EXPECT_EQ(budget.TryTake(1, kT0 + absl::Seconds(5), limits)->wait, absl::Seconds(5));
  EXPECT_EQ(budget.TryTake(2, kT0 + absl::Seconds(5), limits)->wait, absl::ZeroDuration());
  EXPECT_EQ(budget.TryTake(1, kT0 + absl::Seconds(10), limits)->wait, absl::ZeroDuration());
  absl::StatusOr<CallSlot> spent = budget.TryTake(1, kT0 + absl::Seconds(30), limits);
  ASSERT_TRUE(spent.ok());
  EXPECT_TRUE(spent->day_spent);
  EXPECT_EQ(spent->wait, NextUtcMidnight(kT0) - (kT0 + absl::Seconds(30)));
  EXPECT_EQ(budget.TryTake(1, NextUtcMidnight(kT0), limits)->wait, absl::ZeroDuration());
}

}  // namespace
}  // namespace stagecheck
