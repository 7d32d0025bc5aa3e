#include "adapters/http/api/visibility.h"

#include "absl/strings/match.h"

namespace stagecheck::http {

void ShowTo(Role role, BackgroundCheck& check) {
  if (!Allows(role, Access::kResults)) {
    check.overall_score.reset();
    check.results.clear();
    check.results_url.reset();
    check.result_rule.reset();
  }
  if (!Allows(role, Access::kReport)) check.report_saved_as.reset();
}

void ShowTo(Role role, std::vector<BackgroundCheck>& checks) {
  for (BackgroundCheck& c : checks) ShowTo(role, c);
}

void ShowTo(Role role, ApplicationTab& tab) {
  for (StageView& sv : tab.stages) {
    for (ActivityView& av : sv.activities) ShowTo(role, av.checks);
  }
  ShowTo(role, tab.other_checks);
}

void ShowTo(Role role, Page<ApplicationSummary>& page) {
  if (Allows(role, Access::kResults)) return;
  for (ApplicationSummary& s : page.items) {
    if (s.latest_check) s.latest_check->overall_score.reset();
  }
}

void ShowTo(Role role, Notification& notification) {
  if (!Allows(role, Access::kResults)) notification = WithoutResult(std::move(notification));
}

void ShowTo(Role role, FeedEvent& event) {
  // Lines a result rule wrote (actor "rule:<activity>", CheckLifecycle).
  if (Allows(role, Access::kResults) || !absl::StartsWith(event.actor, "rule:")) return;
  constexpr std::string_view kMoved = " automatically:";
  const size_t moved = event.message.find(kMoved);
  if (event.type == "stage_changed" && moved != std::string::npos) {
    // "Moved to stage Offer automatically: the background check came back CLEAR (...)".
    event.message = event.message.substr(0, moved) + " automatically by the activity's rule.";
    return;
  }
  // Flagged for review or kept where it was: either way, what the result was.
  event.type = "result_rule";
  event.message = "The activity's rule looked at the background check's result.";
}

void ShowTo(Role role, TurnaroundReport& report) {
  if (Allows(role, Access::kResults)) return;
  for (PackageTurnaround& p : report.packages) p.stats.needs_review_share = std::nullopt;
}

absl::Status MayFilterBy(Role role, const ApplicationFilter& filter) {
  if (!filter.result) return absl::OkStatus();
  return Permit(role, Access::kResults);
}

}  // namespace stagecheck::http
