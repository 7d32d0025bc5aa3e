#include "adapters/http/api/route_table.h"

#include "absl/strings/str_cat.h"
#include "adapters/http/problem.h"
#include "adapters/http/url.h"
#include "core/errors.h"
#include "core/status_macros.h"
#include "core/strings.h"

namespace stagecheck::http {
namespace {

// Which roles meet which requirement: the one table of who may do what.
struct Grant {
  Role role;
  Access access;
};
// clang-format off
constexpr Grant kGrants[] = {
    {Role::kAdmin,       Access::kTeamMember},
    {Role::kAdmin,       Access::kRecruit},
    {Role::kAdmin,       Access::kResults},
    {Role::kAdmin,       Access::kReport},
    {Role::kAdmin,       Access::kAdmin},
    {Role::kRecruiter,   Access::kTeamMember},
    {Role::kRecruiter,   Access::kRecruit},
    {Role::kRecruiter,   Access::kResults},
    {Role::kRecruiter,   Access::kReport},
    {Role::kCoordinator, Access::kTeamMember},
    {Role::kCoordinator, Access::kRecruit},
    {Role::kCoordinator, Access::kResults},
    {Role::kViewer,      Access::kTeamMember},
};
// clang-format on

// What a caller who does not meet a requirement is told (else "forbidden").
struct Refusal {
  Access access;
  std::string_view code;
  std::string_view detail;
};
constexpr Refusal kRefusals[] = {
    {Access::kAdmin, "admin_only", "only an admin of the team may do this"},
    {Access::kRecruit, "read_only_role", "a viewer may look at statuses only"},
    {Access::kResults, "results_forbidden", "this user may not see check results"},
    {Access::kReport, "report_forbidden", "this user may not open background-check reports"},
};

absl::StatusOr<Principal> Authenticate(ApiContext& ctx, const Request& request) {
  std::optional<std::string_view> header = request.Header("authorization");
  if (!header) {
    return Error(absl::StatusCode::kUnauthenticated, "missing_token",
                 "send an API token as 'Authorization: Bearer <token>'");
  }
  constexpr std::string_view kBearer = "Bearer ";
  if (header->size() <= kBearer.size() ||
      !EqualsIgnoreCase(header->substr(0, kBearer.size()), kBearer)) {
    return Error(absl::StatusCode::kUnauthenticated, "invalid_token",
                 "the Authorization header must be 'Bearer <token>'");
  }
  return ctx.accounts.Authenticate(header->substr(kBearer.size()));
}

Handler MemberHandler(ApiContext& ctx, Access access, MemberRoute* answer) {
  return [&ctx, access, answer](Request request, Respond respond) {
    absl::StatusOr<Principal> who = Authenticate(ctx, request);
    if (!who.ok()) {
      Response r = ProblemResponse(who.status());
      r.SetHeader("WWW-Authenticate", "Bearer");
      respond(std::move(r));
      return;
    }
    if (absl::Status permitted = Permit(who->role, access); !permitted.ok()) {
      respond(ProblemResponse(permitted));
      return;
    }
    absl::StatusOr<Response> response = answer(ctx, request, *who);
    respond(response.ok() ? *std::move(response) : ProblemResponse(response.status()));
  };
}

Handler PublicHandler(ApiContext& ctx, PublicRoute* answer) {
  return [&ctx, answer](Request request, Respond respond) {
    answer(ctx, std::move(request), std::move(respond));
  };
}

}  // namespace

absl::Status Permit(Role role, Access access) {
  if (access == Access::kPublic) return absl::OkStatus();
  for (const Grant& grant : kGrants) {
    if (grant.role == role && grant.access == access) return absl::OkStatus();
  }
  for (const Refusal& refusal : kRefusals) {
    if (refusal.access == access) {
      return Error(absl::StatusCode::kPermissionDenied, refusal.code, refusal.detail);
    }
  }
  return Error(absl::StatusCode::kPermissionDenied, "forbidden", "this user may not do this");
}

absl::Status CheckTable(std::span<const Route> table) {
  for (const Route& route : table) {
    const bool is_public = std::holds_alternative<PublicRoute*>(route.answer);
    if (is_public != (route.access == Access::kPublic)) {
      return absl::InvalidArgumentError(
          absl::StrCat(ToAbsl(route.method), " ", ToAbsl(route.path),
                       is_public ? ": a public function needs Access::kPublic"
                                 : ": Access::kPublic needs a public function"));
    }
    if (route.on_io_thread != nullptr && !is_public) {
      return absl::InvalidArgumentError(
          absl::StrCat(ToAbsl(route.method), " ", ToAbsl(route.path),
                       ": only a public route runs on the io thread"));
    }
  }
  return absl::OkStatus();
}

absl::Status AddRoutes(Router& router, ApiContext& ctx, std::span<const Route> table) {
  RETURN_IF_ERROR(CheckTable(table));
  for (const Route& route : table) {
    Handler handler = route.access == Access::kPublic
                          ? PublicHandler(ctx, std::get<PublicRoute*>(route.answer))
                          : MemberHandler(ctx, route.access, std::get<MemberRoute*>(route.answer));
    IoHandler on_io_thread;
    if (route.on_io_thread != nullptr) {
      on_io_thread = [&ctx, io = route.on_io_thread](Request& request, Respond& respond) {
        return io(ctx, request, respond);
      };
    }
    RETURN_IF_ERROR(router.Add(std::string(route.method), route.path, std::move(handler),
                               std::move(on_io_thread)));
  }
  return absl::OkStatus();
}

}  // namespace stagecheck::http
