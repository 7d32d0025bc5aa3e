// The call_grants table (schema v5): one row per outbound call granted to a
// vendor account in the last day, so that every replica reads the same
// rolling window and daily count (core/ports/call_budget.h).
#include "absl/strings/str_cat.h"
#include "adapters/store/sql/rows.h"
#include "adapters/store/sql/unit_of_work.h"

namespace stagecheck::store {

using rows::Cells;
using rows::P;

absl::StatusOr<CallSlot> SqlUnitOfWork::TakeCallSlot(int64_t account, absl::Time now,
                                                     const CallLimits& limits) {
  if (absl::Status s = RefuseInReadOnly(); !s.ok()) return s;
  if (!dialect_.account_lock.empty()) {
    absl::StatusOr<std::vector<Row>> locked = Query(dialect_.account_lock, {P(account)});
    if (!locked.ok()) return locked.status();
  }
  const absl::Time day_start = UtcDayStart(now);
  const absl::Time window_start = now - limits.window;
  // Nothing older than both the window and the day still counts for anything.
  absl::StatusOr<int64_t> swept =
      Exec("DELETE FROM call_grants WHERE account = ? AND granted_at < ?",
           {P(account), P(std::min(day_start, window_start))});
  if (!swept.ok()) return swept.status();

  if (limits.per_day > 0) {
    absl::StatusOr<std::vector<Row>> today =
        Query("SELECT COUNT(*) FROM call_grants WHERE account = ? AND granted_at >= ?",
              {P(account), P(day_start)});
    if (!today.ok()) return today.status();
    if (Cells(today->at(0)).Int() >= limits.per_day) {
      return CallSlot{.wait = NextUtcMidnight(now) - now, .day_spent = true};
    }
  }
  const int64_t per_window = std::max(limits.per_window, 1);
  // Newest first: the per_window-th newest grant is the one that must leave
  // the window before another call fits.
  absl::StatusOr<std::vector<Row>> recent = Query(
      "SELECT granted_at FROM call_grants WHERE account = ? AND granted_at > ? ORDER BY granted_at "
      "DESC LIMIT ?",
      {P(account), P(window_start), P(per_window)});
  if (!recent.ok()) return recent.status();
  if (static_cast<int64_t>(recent->size()) >= per_window) {
    const absl::Time blocking = Cells(recent->back()).Time();
    return CallSlot{.wait = std::max(blocking + limits.window - now, absl::Microseconds(1))};
  }
  absl::StatusOr<int64_t> granted =
      Exec("INSERT INTO call_grants (account, granted_at) VALUES (?, ?)", {P(account), P(now)});
  if (!granted.ok()) return granted.status();
  return CallSlot{};
}

}  // namespace stagecheck::store
