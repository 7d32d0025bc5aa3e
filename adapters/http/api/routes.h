// The REST API (/api/v1), the Certn webhook and the operational endpoints,
// mapped onto the core and Certn-plugin use cases.
#pragma once

#include <span>

#include "adapters/http/api/route_table.h"

namespace stagecheck::http {

// One table a resource, each in its own file (team_routes.cc, ...).
std::span<const Route> TeamRoutes();
std::span<const Route> JobRoutes();
std::span<const Route> PlanRoutes();
std::span<const Route> CandidateRoutes();
std::span<const Route> ApplicationRoutes();
std::span<const Route> OpsRoutes();

absl::Status AddApiRoutes(Router& router, ApiContext& ctx);

}  // namespace stagecheck::http
