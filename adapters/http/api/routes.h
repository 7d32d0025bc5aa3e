// The route tables of the REST API's core resources (/api/v1) and of the
// operational endpoints, one file each. The Certn plugin's tables are in
// certn/certn_routes.h; adapters/cli/main.cc registers them all.
#pragma once

#include <span>

#include "adapters/http/api/route_table.h"

namespace stagecheck::http {

std::span<const Route> TeamRoutes();          // team_routes.cc: /me, /team
std::span<const Route> JobRoutes();           // job_routes.cc: /jobs
std::span<const Route> PlanRoutes();          // plan_routes.cc: interview plans, activity kinds
std::span<const Route> CandidateRoutes();     // candidate_routes.cc: /candidates
std::span<const Route> ApplicationRoutes();   // application_routes.cc: /applications
std::span<const Route> OpsRoutes();           // ops_routes.cc: /healthz, /readyz, /metrics
std::span<const Route> LifecycleRoutes();     // lifecycle_routes.cc: bulk sends, turnaround
std::span<const Route> OutboundRoutes();      // outbound_routes.cc: /webhook-endpoints
std::span<const Route> UserRoutes();          // user_routes.cc: /users and their tokens
std::span<const Route> NotificationRoutes();  // notification_routes.cc: /notifications, watches
std::span<const Route> RetentionRoutes();     // retention_routes.cc: retention, erasure

}  // namespace stagecheck::http
