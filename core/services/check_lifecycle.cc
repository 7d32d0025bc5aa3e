#include "core/services/check_lifecycle.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/services/applications.h"
#include "core/services/check_events.h"
#include "core/status_macros.h"
#include "core/strings.h"

namespace stagecheck {
namespace {

// The nearest-rank percentile of sorted durations (p in (0, 1]).
absl::Duration NearestRank(const std::vector<absl::Duration>& sorted, double p) {
  const size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::max<size_t>(rank, 1) - 1];
}

std::string Actor(const ActivityId& activity) { return "rule:" + activity.value(); }

}  // namespace

bool ScoreNeedsReview(const std::optional<std::string>& score) {
  return score && (*score == "REVIEW" || *score == "REJECT");
}

TurnaroundStats Summarize(const std::vector<CompletedCheck>& checks) {
  TurnaroundStats stats;
  if (checks.empty()) return stats;
  std::vector<absl::Duration> took;
  int review = 0;
  for (const CompletedCheck& c : checks) {
    took.push_back(std::max(c.completed_at - c.sent_at, absl::ZeroDuration()));
    review += ScoreNeedsReview(c.overall_score) ? 1 : 0;
  }
  std::sort(took.begin(), took.end());
  stats.count = static_cast<int>(took.size());
  stats.median = NearestRank(took, 0.5);
  stats.p90 = NearestRank(took, 0.9);
  stats.needs_review_share = static_cast<double>(review) / static_cast<double>(stats.count);
  return stats;
}

absl::StatusOr<TurnaroundReport> CheckLifecycle::Report(const Principal& who, int days) {
  if (days < 1 || days > kMaxReportDays) {
    return WithField(Error(absl::StatusCode::kInvalidArgument, "invalid_days",
                           absl::StrCat("days must be from 1 to ", kMaxReportDays, ".")),
                     "days");
  }
  TurnaroundReport report;
  report.days = days;
  report.since = deps_.clock.Now() - absl::Hours(24) * days;
  ASSIGN_OR_RETURN(
      std::vector<CompletedCheck> all,
      InReadTransaction<std::vector<CompletedCheck>>(deps_.store, [&](UnitOfWork& uow) {
        return uow.ListCompletedChecks(who.team, report.since, std::nullopt, 0);
      }));
  std::map<std::string, std::vector<CompletedCheck>> by_package;
  std::map<std::string, std::string> names;
  for (CompletedCheck& c : all) {
    if (!c.package_name.empty())
      names[c.package_id] = c.package_name;  // oldest first: the latest wins
    by_package[c.package_id].push_back(std::move(c));
  }
  for (const auto& entry : by_package) {
    const std::string& id = entry.first;
    report.packages.push_back(
        PackageTurnaround{id, names.count(id) ? names[id] : id, Summarize(entry.second)});
  }
  std::sort(report.packages.begin(), report.packages.end(),
            [](const PackageTurnaround& a, const PackageTurnaround& b) {
              return a.package_name < b.package_name;
            });
  return report;
}

ExpectedCompletion CheckLifecycle::Expect(const BackgroundCheck& check,
                                          std::optional<absl::Time> vendor,
                                          const TurnaroundStats& stats) const {
  const absl::Time now = deps_.clock.Now();
  ExpectedCompletion e;
  e.based_on = stats.count;
  if (vendor) {
    e.source = ExpectedCompletion::Source::kVendor;
    e.at = e.late_at = vendor;
  } else if (stats.count >= kMinProjectionSample) {
    e.source = ExpectedCompletion::Source::kProjection;
    e.median = stats.median;
    e.p90 = stats.p90;
    e.at = check.created_at + stats.median;
    e.late_at = check.created_at + stats.p90;
  }
  e.delayed = e.late_at.has_value() && now > *e.late_at;
  return e;
}

absl::Status CheckLifecycle::Describe(UnitOfWork& uow, std::vector<BackgroundCheck*> checks) {
  std::map<std::string, TurnaroundStats> stats;  // per package, read once
  const absl::Time since = deps_.clock.Now() - absl::Hours(24) * kDefaultReportDays;
  for (BackgroundCheck* check : checks) {
    ASSIGN_OR_RETURN(check->result_rule, uow.GetResultRuleRun(check->team, check->id));
    if (!IsActive(check->status)) continue;
    auto known = stats.find(check->package_id);
    if (known == stats.end()) {
      ASSIGN_OR_RETURN(
          std::vector<CompletedCheck> done,
          uow.ListCompletedChecks(check->team, since, check->package_id, kMaxProjectionSample));
      known = stats.emplace(check->package_id, Summarize(done)).first;
    }
    ASSIGN_OR_RETURN(std::optional<absl::Time> vendor,
                     uow.GetCheckEstimate(check->team, check->id));
    check->expected_completion = Expect(*check, vendor, known->second);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> CheckLifecycle::MovedByPersonSince(
    UnitOfWork& uow, const BackgroundCheck& check) {
  PageRequest page{100, ""};
  for (;;) {
    ASSIGN_OR_RETURN(Page<FeedEvent> feed, uow.ListFeed(check.team, check.candidate, page));
    for (const FeedEvent& e : feed.items) {
      if (e.at < check.created_at) return std::nullopt;  // newest first: older from here
      if (e.type == "stage_changed" && e.application == check.application &&
          absl::StartsWith(e.actor, "user:")) {
        return e.actor;
      }
    }
    if (feed.next.empty()) return std::nullopt;
    page.after = feed.next;
  }
}

absl::StatusOr<ResultRuleRun> CheckLifecycle::MoveOnClear(UnitOfWork& uow,
                                                          const BackgroundCheck& check,
                                                          ResultRuleRun run, const StageId& target,
                                                          std::string_view result_words) {
  run.stage = target;
  ASSIGN_OR_RETURN(Application app, uow.GetApplication(check.team, *check.application));
  ASSIGN_OR_RETURN(InterviewPlan plan, uow.GetPlan(check.team, app.job));
  const Stage* stage = plan.FindStage(target);
  ASSIGN_OR_RETURN(std::optional<std::string> mover, MovedByPersonSince(uow, check));
  run.action = "kept";
  if (app.status != ApplicationStatus::kActive) {
    run.detail = "Not moved: the application is no longer active.";
  } else if (mover) {
    run.detail = "Not moved: a person moved the application since the check was sent.";
  } else if (stage == nullptr) {
    run.detail = "Not moved: the rule's stage is no longer in the job's interview plan.";
  } else if (app.stage == target) {
    run.detail = absl::StrCat("Already in stage ", stage->name, ".");
  } else {
    run.action = "moved";
    run.detail = absl::StrCat(
        "Moved to stage ", stage->name, " automatically: the background check came back ",
        ToAbsl(result_words), " (rule of its activity: on CLEAR, move to ", stage->name, ").");
    app.stage = target;
    app.updated_at = run.at;
    RETURN_IF_ERROR(UpdateApplicationWithEvents(uow, deps_, app));
    RETURN_IF_ERROR(uow.EnqueueWork(
        StageEnteredWork(deps_, app, target, check.requested_by, check.id.value())));
  }
  return run;
}

absl::StatusOr<bool> CheckLifecycle::ApplyResultRule(UnitOfWork& uow, const BackgroundCheck& check,
                                                     const ActivityId& activity,
                                                     const ResultRule& rule, ResultVerdict verdict,
                                                     std::string_view result_words) {
  if (!check.application || rule.empty()) return false;
  const bool move = verdict == ResultVerdict::kClear && rule.on_clear_move_to;
  const bool flag = verdict == ResultVerdict::kNeedsReview && rule.flag_for_review;
  if (!move && !flag) return false;
  ASSIGN_OR_RETURN(std::optional<ResultRuleRun> earlier,
                   uow.GetResultRuleRun(check.team, check.id));
  if (earlier) return false;  // a rule acts once per check
  ResultRuleRun run{check.team, check.id, activity, "flagged", std::nullopt, "", deps_.clock.Now()};
  if (move) {
    ASSIGN_OR_RETURN(run, MoveOnClear(uow, check, run, *rule.on_clear_move_to, result_words));
  } else {
    run.detail =
        absl::StrCat("Flagged for review: the background check came back ", ToAbsl(result_words),
                     "; the application stays where it is (rule of its activity).");
  }
  RETURN_IF_ERROR(uow.InsertResultRuleRun(run));
  const std::string type = run.action == "moved"     ? "stage_changed"
                           : run.action == "flagged" ? "flagged_for_review"
                                                     : "rule_kept";
  RETURN_IF_ERROR(uow.AppendFeedEvent(FeedEvent{check.team, FeedEventId(deps_.ids.NewId()),
                                                check.candidate, check.application, check.id,
                                                run.at, type, Actor(activity), run.detail}));
  return run.action != "kept";
}

}  // namespace stagecheck
