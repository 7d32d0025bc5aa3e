#include "core/services/call_budgets.h"

#include <algorithm>

namespace stagecheck {

absl::Time UtcDayStart(absl::Time t) {
  const int64_t seconds = absl::ToUnixSeconds(t);
  const int64_t day = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400;
  return absl::FromUnixSeconds(day * 86400);
}

absl::Time NextUtcMidnight(absl::Time t) { return UtcDayStart(t) + absl::Hours(24); }

absl::StatusOr<CallSlot> InProcessCallBudget::TryTake(int64_t account, absl::Time now,
                                                      const CallLimits& limits) {
  std::lock_guard<std::mutex> lock(mu_);
  Account& a = accounts_[account];
  if (const absl::Time today = UtcDayStart(now); a.day != today) {
    a.day = today;
    a.day_count = 0;
  }
  if (limits.per_day > 0 && a.day_count >= limits.per_day) {
    return CallSlot{.wait = NextUtcMidnight(now) - now, .day_spent = true};
  }
  const int per_window = std::max(limits.per_window, 1);
  while (!a.granted.empty() && now - a.granted.front() >= limits.window) a.granted.pop_front();
  const auto in_window = static_cast<int>(a.granted.size());
  if (in_window < per_window) {
    a.granted.push_back(now);
    ++a.day_count;
    return CallSlot{};
  }
  // The slot frees when enough of the oldest grants leave the window.
  return CallSlot{.wait = a.granted[in_window - per_window] + limits.window - now};
}

absl::StatusOr<CallSlot> SharedCallBudget::TryTake(int64_t account, absl::Time now,
                                                   const CallLimits& limits) {
  CallSlot slot;
  absl::Status s = store_.Transact([&](UnitOfWork& uow) -> absl::Status {
    absl::StatusOr<CallSlot> taken = uow.TakeCallSlot(account, now, limits);
    if (!taken.ok()) return taken.status();
    slot = *taken;
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return slot;
}

}  // namespace stagecheck
