// What a role may see of a check inside answers that any member reads (a
// check, the application tab, the pipeline overview). The rule is kGrants's:
// without Access::kResults the result, per-check results, results URL and
// result rule are left out; without Access::kReport the report file is.
#pragma once

#include "adapters/http/api/route_table.h"
#include "core/services/applications.h"

namespace stagecheck::http {

void ShowTo(Role role, BackgroundCheck& check);
void ShowTo(Role role, ApplicationTab& tab);
void ShowTo(Role role, std::vector<BackgroundCheck>& checks);
void ShowTo(Role role, Page<ApplicationSummary>& page);

// Filtering or counting by result is seeing results: 403 without the right.
absl::Status MayFilterBy(Role role, const ApplicationFilter& filter);

}  // namespace stagecheck::http
