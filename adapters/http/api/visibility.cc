#include "adapters/http/api/visibility.h"

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

absl::Status MayFilterBy(Role role, const ApplicationFilter& filter) {
  if (!filter.result) return absl::OkStatus();
  return Permit(role, Access::kResults);
}

}  // namespace stagecheck::http
