#include "core/services/delay_notices.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "core/ports/notification_store.h"
#include "core/services/notifications.h"
#include "core/services/team_work.h"
#include "core/status_macros.h"
#include "core/strings.h"

namespace stagecheck {

std::string DelayKey(const ExpectedCompletion& expected) {
  // A vendor's estimate is a promise: each one that passes is a delay of its
  // own. A projection moves a little with every completed check; one notice.
  if (expected.source == ExpectedCompletion::Source::kVendor && expected.late_at) {
    return absl::StrCat("vendor:", absl::ToUnixSeconds(*expected.late_at));
  }
  return "projection";
}

absl::Status DelayNotices::RegisterWork(WorkRunner& runner) {
  RETURN_IF_ERROR(
      runner.Register(std::string(kWorkDelayScan),
                      WorkHandler{.run = [this](const WorkItem& item) { return RunScan(item); }}));
  runner.AddPeriodic(options_.interval, [this] {
    if (absl::Status s = Schedule(); !s.ok()) {
      deps_.log.Log(LogLevel::kWarning, "delay_scan.schedule_failed",
                    {{"error", ToStd(s.message())}});
    }
  });
  return absl::OkStatus();
}

absl::Status DelayNotices::Schedule() { return EnqueueForEveryTeam(deps_, kWorkDelayScan); }

absl::StatusOr<std::optional<CheckId>> DelayNotices::ScanBatch(const TeamId& team,
                                                               const std::optional<CheckId>& after,
                                                               int64_t& told) {
  std::optional<CheckId> last;
  int64_t written = 0;
  RETURN_IF_ERROR(deps_.store.Transact([&](UnitOfWork& uow) -> absl::Status {
    last.reset();
    written = 0;
    ASSIGN_OR_RETURN(std::vector<BackgroundCheck> checks,
                     uow.ListOpenChecksOfTeam(team, after, options_.batch));
    std::vector<BackgroundCheck*> judged;
    for (BackgroundCheck& check : checks) judged.push_back(&check);
    RETURN_IF_ERROR(lifecycle_.Expect(uow, judged));
    const absl::Time now = deps_.clock.Now();
    for (const BackgroundCheck& check : checks) {
      const std::optional<ExpectedCompletion>& e = check.expected_completion;
      if (!e || !e->delayed || !e->late_at || check.CancelRequested()) continue;
      ASSIGN_OR_RETURN(bool first, NotificationRows(uow).RecordDelayNotice(
                                       team, check.id, DelayKey(*e), *e->late_at, now));
      if (!first) continue;  // told already, by this job before or another replica
      RETURN_IF_ERROR(RecordDelayNotifications(uow, deps_, check, *e->late_at));
      ++written;
    }
    if (checks.size() == static_cast<size_t>(options_.batch)) last = checks.back().id;
    return absl::OkStatus();
  }));
  told += written;
  return last;
}

absl::Status DelayNotices::RunScan(const WorkItem& item) {
  std::optional<CheckId> after;
  int64_t told = 0;
  do {
    ASSIGN_OR_RETURN(after, ScanBatch(item.team, after, told));
  } while (after);
  if (told > 0) {
    deps_.log.Log(LogLevel::kInfo, "delay_scan.notified",
                  {{"team", item.team.value()}, {"checks", std::to_string(told)}});
  }
  return absl::OkStatus();
}

}  // namespace stagecheck
