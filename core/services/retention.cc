#include "core/services/retention.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/services/team_work.h"
#include "core/status_macros.h"
#include "core/strings.h"

namespace stagecheck {
namespace {

std::string DaysWords(int days) { return absl::StrCat(days, days == 1 ? " day" : " days"); }

}  // namespace

absl::StatusOr<RetentionSettings> Retention::Get(const TeamId& team) {
  return InReadTransaction<RetentionSettings>(
      deps_.store, [&](UnitOfWork& uow) { return RetentionRows(uow).GetRetention(team); });
}

absl::StatusOr<RetentionSettings> Retention::Update(const Principal& who,
                                                    const RetentionPatch& patch) {
  return InTransaction<RetentionSettings>(
      deps_.store, [&](UnitOfWork& uow) -> absl::StatusOr<RetentionSettings> {
        RetentionUnitOfWork& rows = RetentionRows(uow);
        ASSIGN_OR_RETURN(RetentionSettings settings, rows.GetRetention(who.team));
        RETURN_IF_ERROR(ApplyRetentionPatch(patch, settings));
        settings.updated_at = deps_.clock.Now();
        RETURN_IF_ERROR(rows.PutRetention(who.team, settings));
        return settings;
      });
}

absl::Status Retention::RegisterWork(WorkRunner& runner) {
  RETURN_IF_ERROR(
      runner.Register(std::string(kWorkRetentionPurge),
                      WorkHandler{.run = [this](const WorkItem& item) { return RunPurge(item); }}));
  runner.AddPeriodic(options_.interval, [this] {
    absl::Status s = Schedule();
    if (s.ok()) s = ForgetRefused().status();
    if (!s.ok()) {
      deps_.log.Log(LogLevel::kWarning, "retention.schedule_failed",
                    {{"error", ToStd(s.message())}});
    }
  });
  return absl::OkStatus();
}

absl::Status Retention::Schedule() { return EnqueueForEveryTeam(deps_, kWorkRetentionPurge); }

absl::StatusOr<size_t> Retention::ForgetRefused() {
  if (!forget_refused_) return 0;
  using Changed = std::vector<std::pair<TeamId, RetentionSettings>>;
  ASSIGN_OR_RETURN(Changed changed, InReadTransaction<Changed>(deps_.store, [](UnitOfWork& uow) {
                     return RetentionRows(uow).ListChangedRetention();
                   }));
  std::map<TeamId, int> days;
  for (const auto& [team, settings] : changed) days[team] = settings.unverified_metadata_days;
  const absl::Time now = deps_.clock.Now();
  const int default_days = RetentionSettings{}.unverified_metadata_days;
  return forget_refused_([&](const std::optional<TeamId>& team) {
    auto it = team ? days.find(*team) : days.end();
    return now - absl::Hours(24) * (it == days.end() ? default_days : it->second);
  });
}

absl::StatusOr<int64_t> Retention::PurgeReports(const TeamId& team,
                                                const RetentionSettings& settings) {
  return InTransaction<int64_t>(deps_.store, [&](UnitOfWork& uow) -> absl::StatusOr<int64_t> {
    const absl::Time now = deps_.clock.Now();
    ASSIGN_OR_RETURN(std::vector<PurgedReport> purged,
                     RetentionRows(uow).PurgeReports(
                         team, now - absl::Hours(24) * settings.report_days, now, options_.batch));
    for (const PurgedReport& p : purged) {
      FeedEvent event{
          team,
          FeedEventId(deps_.ids.NewId()),
          p.candidate,
          p.application,
          p.check,
          now,
          "report_data_purged",
          "system",
          absl::StrCat("Report data removed by the team's retention policy (kept ",
                       DaysWords(settings.report_days), " after completion): ",
                       p.file_removed ? "the report PDF and " : "", "the per-check results.")};
      RETURN_IF_ERROR(uow.AppendFeedEvent(event));
    }
    return static_cast<int64_t>(purged.size());
  });
}

absl::Status Retention::PurgeRest(const TeamId& team, const RetentionSettings& settings,
                                  PurgeCounts& n) {
  return deps_.store.Transact([&](UnitOfWork& uow) -> absl::Status {
    RetentionUnitOfWork& rows = RetentionRows(uow);
    const absl::Time now = deps_.clock.Now();
    const absl::Time bodies_before = now - absl::Hours(24) * settings.delivery_body_days;
    ASSIGN_OR_RETURN(n.bodies, rows.PurgeDeliveryBodies(team, bodies_before, options_.batch));
    ASSIGN_OR_RETURN(n.outbox, rows.PurgeOutbox(team, bodies_before, options_.batch));
    ASSIGN_OR_RETURN(
        n.notifications,
        rows.PurgeReadNotifications(team, now - absl::Hours(24) * options_.read_notification_days,
                                    options_.batch));
    return absl::OkStatus();
  });
}

absl::Status Retention::RunPurge(const WorkItem& item) {
  ASSIGN_OR_RETURN(RetentionSettings settings, Get(item.team));
  PurgeCounts n;
  ASSIGN_OR_RETURN(n.reports, PurgeReports(item.team, settings));
  RETURN_IF_ERROR(PurgeRest(item.team, settings, n));
  const int64_t most =
      std::max({n.reports, n.bodies, n.outbox.deliveries, n.outbox.events, n.notifications});
  if (most > 0) {
    deps_.log.Log(LogLevel::kInfo, "retention.purged",
                  {{"team", item.team.value()},
                   {"reports", std::to_string(n.reports)},
                   {"delivery_bodies", std::to_string(n.bodies)},
                   {"outbound_deliveries", std::to_string(n.outbox.deliveries)},
                   {"outbound_events", std::to_string(n.outbox.events)},
                   {"read_notifications", std::to_string(n.notifications)}});
  }
  if (most < options_.batch) return absl::OkStatus();
  // A full batch: more may be due. The next batch runs after other work had its turn.
  return WithRetryAfter(
      Error(absl::StatusCode::kUnavailable, "retention_next_batch", "more to purge"),
      absl::Milliseconds(100));
}

absl::Status Retention::CancelActiveChecks(const Principal& who, const CandidateId& candidate) {
  ASSIGN_OR_RETURN(
      std::vector<BackgroundCheck> checks,
      InReadTransaction<std::vector<BackgroundCheck>>(deps_.store, [&](UnitOfWork& uow) {
        return uow.ListChecksForCandidate(who.team, candidate);
      }));
  for (const BackgroundCheck& check : checks) {
    if (!IsActive(check.status) || check.CancelRequested()) continue;
    if (!cancel_) {
      return Error(absl::StatusCode::kFailedPrecondition, "check_active",
                   "The candidate has an active background check that cannot be cancelled here.");
    }
    RETURN_IF_ERROR(cancel_(who, check));
  }
  return absl::OkStatus();
}

absl::StatusOr<ErasureResult> Retention::Erase(const Principal& who, const CandidateId& candidate) {
  ASSIGN_OR_RETURN(std::optional<absl::Time> earlier,
                   InReadTransaction<std::optional<absl::Time>>(deps_.store, [&](UnitOfWork& uow) {
                     return RetentionRows(uow).GetErasure(who.team, candidate);
                   }));
  if (earlier) return ErasureResult{candidate, *earlier};
  // Cancelled first, each durably: a crash after this leaves the data in
  // place, and the next DELETE finds the cancels requested and erases.
  RETURN_IF_ERROR(CancelActiveChecks(who, candidate));
  return InTransaction<ErasureResult>(
      deps_.store, [&](UnitOfWork& uow) -> absl::StatusOr<ErasureResult> {
        RetentionUnitOfWork& rows = RetentionRows(uow);
        ASSIGN_OR_RETURN(std::optional<absl::Time> done, rows.GetErasure(who.team, candidate));
        if (done) return ErasureResult{candidate, *done};  // a concurrent DELETE won
        const absl::Time now = deps_.clock.Now();
        ASSIGN_OR_RETURN(ErasureCounts counts, rows.EraseCandidate(who.team, candidate, now));
        FeedEvent event{
            who.team,
            FeedEventId(deps_.ids.NewId()),
            candidate,
            std::nullopt,
            std::nullopt,
            now,
            "candidate_erased",
            "user:" + who.user.value(),
            absl::StrCat(
                "Candidate erased by an admin: name, email, phone, tags, ", counts.files,
                counts.files == 1 ? " file, " : " files, ", "the report data of ", counts.checks,
                counts.checks == 1 ? " check" : " checks", " and ", counts.deliveries,
                counts.deliveries == 1 ? " webhook body" : " webhook bodies", " removed.")};
        RETURN_IF_ERROR(uow.AppendFeedEvent(event));
        return ErasureResult{candidate, now};
      });
}

}  // namespace stagecheck
