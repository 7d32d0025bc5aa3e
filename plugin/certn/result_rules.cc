// What follows Certn's answer beyond the status (docs/architecture.md,
// "Expected completion, turnaround and result rules"): Certn's estimate of
// the completion is kept when the case carries one, and on the transition to
// complete the Certn activity's result rules run (the vendor-neutral part is
// core/services/check_lifecycle.h; the Certn part is which score reads how).
#include "absl/strings/str_cat.h"
#include "core/services/check_lifecycle.h"
#include "core/status_macros.h"
#include "plugin/certn/checks.h"

namespace stagecheck::certn_plugin {
namespace {

ResultVerdict VerdictOf(const std::optional<std::string>& score) {
  if (score == "CLEAR") return ResultVerdict::kClear;
  if (score == "REVIEW" || score == "REJECT") return ResultVerdict::kNeedsReview;
  return ResultVerdict::kOther;
}

}  // namespace

ResultRule RuleOf(const ActivitySettings& settings) {
  ResultRule rule;
  if (std::optional<std::string> stage = settings.GetString(std::string(kOnClearMoveTo)))
    rule.on_clear_move_to = StageId(*stage);
  rule.flag_for_review = settings.GetBool(std::string(kFlagForReview)).value_or(false);
  return rule;
}

absl::Status Checks::AfterCase(UnitOfWork& uow, const BackgroundCheck& check,
                               const CertnCase& certn_case, TransitionOutcome outcome) {
  if (certn_case.estimated_completion) {
    RETURN_IF_ERROR(uow.SetCheckEstimate(check.team, check.id, *certn_case.estimated_completion));
  }
  // Once: the status machine applies complete once per check, and the rule's
  // run is recorded, so a replayed answer finds it and does nothing.
  if (outcome != TransitionOutcome::kApplied || check.status != CheckStatus::kComplete ||
      !check.application || !check.activity) {
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(Application app, uow.GetApplication(check.team, *check.application));
  ASSIGN_OR_RETURN(InterviewPlan plan, uow.GetPlan(check.team, app.job));
  const Activity* activity = plan.FindActivity(*check.activity);
  if (activity == nullptr) return absl::OkStatus();  // removed from the plan since
  return CheckLifecycle(deps_)
      .ApplyResultRule(uow, check, activity->id, RuleOf(activity->settings),
                       VerdictOf(check.overall_score),
                       check.overall_score.value_or("without a score"))
      .status();
}

}  // namespace stagecheck::certn_plugin
