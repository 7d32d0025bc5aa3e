// Routes as tables. Every route file opens with one: method, path, who may
// call the route, and the named function that answers it. AddRoutes
// registers any table:
//
//   constexpr Route kRoutes[] = {
//       {"GET", "/api/v1/jobs", Access::kTeamMember, ListJobs},
//       {"POST", "/api/v1/jobs", Access::kAdmin, CreateJob},
//   };
//   std::span<const Route> JobRoutes() { return kRoutes; }
#pragma once

#include <span>
#include <string_view>
#include <variant>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "adapters/http/api/api_context.h"
#include "adapters/http/router.h"
#include "core/domain/team.h"

namespace stagecheck::http {

// Who may call a route. Which roles meet which requirement is said once, in
// kGrants (route_table.cc), and each table names what its routes require
// (docs/operations.md, "Users, roles and tokens", shows the grid).
enum class Access {
  kPublic,      // anyone, without a token: health, metrics, a vendor's webhook
  kTeamMember,  // any signed-in user of the team, a viewer too: status
  kRecruit,     // works the pipeline: candidates, applications, sending checks
  kResults,     // a check's result and per-check results
  kReport,      // a check's report: inline, its PDF, the candidate's files
  kAdmin,       // an admin of the team
};

// OK when `role` meets `access`; else PermissionDenied with the
// requirement's stable code ("admin_only", "report_forbidden", ...).
absl::Status Permit(Role role, Access access);
inline bool Allows(Role role, Access access) { return Permit(role, access).ok(); }

// Answers a signed-in caller whose role meets the route's Access. An error
// becomes the problem response of ProblemResponse(status) (problem.cc).
using MemberRoute = absl::StatusOr<Response>(ApiContext& ctx, const Request& request,
                                             const Principal& who);
// Answers anyone, through `respond`, perhaps later and from another thread
// (the webhook answers after its group commit).
using PublicRoute = void(ApiContext& ctx, Request request, Respond respond);
// A public route's try on the io thread (IoHandler, http.h): answers from
// memory and returns true, or returns false, untouched, for its PublicRoute.
using IoRoute = bool(ApiContext& ctx, Request& request, Respond& respond);

struct Route {
  std::string_view method;
  std::string_view path;
  Access access;
  std::variant<MemberRoute*, PublicRoute*> answer;  // PublicRoute for Access::kPublic only
  IoRoute* on_io_thread = nullptr;                  // public routes only
};

// InvalidArgument when a row's Access does not fit its function's kind
// (public functions, and only they, go with Access::kPublic; only they may
// have an IoRoute: a member route reads its caller's token from the store).
absl::Status CheckTable(std::span<const Route> table);

// Registers every route of a table CheckTable accepts: a member route behind
// the bearer token (401 without a valid one) and its Access (403 when the
// role does not meet it). The router's errors (a malformed or taken path) as
// they are.
absl::Status AddRoutes(Router& router, ApiContext& ctx, std::span<const Route> table);

}  // namespace stagecheck::http
