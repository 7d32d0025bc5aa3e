#include "core/services/work_health.h"

#include <optional>

namespace stagecheck {

absl::StatusOr<WorkHealth> CheckWorkHealth(Store& store, absl::Time now,
                                           absl::Duration stall_after) {
  std::optional<absl::Time> oldest;
  absl::Status read = store.Read([&](UnitOfWork& uow) -> absl::Status {
    absl::StatusOr<std::optional<absl::Time>> due = uow.OldestDueWork(now);
    if (!due.ok()) return due.status();
    oldest = *due;
    return absl::OkStatus();
  });
  if (!read.ok()) return read;
  WorkHealth health;
  if (oldest && *oldest < now) health.oldest_due_age = now - *oldest;
  health.stalled = health.oldest_due_age > stall_after;
  return health;
}

}  // namespace stagecheck
