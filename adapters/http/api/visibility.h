// What a role may see of a check inside answers that any member reads (a
// check, the application tab, the pipeline overview, a refused send's
// existing check, notifications, feed lines, the turnaround report). Every
// answer that carries a result or a report goes through ShowTo; the rule is kGrants's:
// without Access::kResults the result, per-check results, results URL and
// result rule are left out; without Access::kReport the report file is.
#pragma once

#include "adapters/http/api/route_table.h"
#include "core/services/applications.h"
#include "core/services/check_lifecycle.h"
#include "core/services/notifications.h"

namespace stagecheck::http {

void ShowTo(Role role, BackgroundCheck& check);
void ShowTo(Role role, ApplicationTab& tab);
void ShowTo(Role role, std::vector<BackgroundCheck>& checks);
void ShowTo(Role role, Page<ApplicationSummary>& page);
// A notification's words say the result ("... is complete: clear").
void ShowTo(Role role, Notification& notification);
// A result rule's feed line says the result ("... came back CLEAR"): without
// the right, it says what happened to the application only.
void ShowTo(Role role, FeedEvent& event);
// The turnaround report's share needing review is a count of results.
void ShowTo(Role role, TurnaroundReport& report);

// Filtering or counting by result is seeing results: 403 without the right.
absl::Status MayFilterBy(Role role, const ApplicationFilter& filter);

}  // namespace stagecheck::http
