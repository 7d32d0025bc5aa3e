// The route tables' access rules and shape (adapters/http/api/route_table.h).
// Requests through the tables, with real tokens, are tests/integration/api.
#include "adapters/http/api/route_table.h"

#include <map>
#include <set>
#include <string>

#include "adapters/http/api/all_routes.h"
#include "adapters/http/api/certn/certn_routes.h"
#include "adapters/http/api/routes.h"
#include "core/errors.h"
#include "gtest/gtest.h"

namespace stagecheck::http {
namespace {

TEST(Permit, AnAdminMeetsEveryRequirement) {
  for (Access access : {Access::kPublic, Access::kTeamMember, Access::kRecruit, Access::kResults,
                        Access::kReport, Access::kAdmin}) {
    EXPECT_TRUE(Permit(Role::kAdmin, access).ok());
  }
}

TEST(Permit, ARecruiterIsRefusedAdminRoutesWithAdminOnly) {
  EXPECT_TRUE(Permit(Role::kRecruiter, Access::kPublic).ok());
  EXPECT_TRUE(Permit(Role::kRecruiter, Access::kTeamMember).ok());
  absl::Status refused = Permit(Role::kRecruiter, Access::kAdmin);
  EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrorCode(refused), "admin_only");
}

absl::StatusOr<Response> Member(ApiContext&, const Request&, const Principal&) {
  return Response::Json(200, "{}");
}
void Open(ApiContext&, Request, Respond respond) { respond(Response::Json(200, "{}")); }

TEST(CheckTable, APublicRowNeedsAPublicFunctionAndOnlyIt) {
  const Route good[] = {{"GET", "/a", Access::kTeamMember, Member},
                        {"GET", "/b", Access::kAdmin, Member},
                        {"GET", "/c", Access::kPublic, Open}};
  EXPECT_TRUE(CheckTable(good).ok());
  const Route open_member[] = {{"GET", "/a", Access::kPublic, Member}};
  EXPECT_EQ(CheckTable(open_member).code(), absl::StatusCode::kInvalidArgument);
  const Route guarded_open[] = {{"GET", "/a", Access::kAdmin, Open}};
  EXPECT_EQ(CheckTable(guarded_open).code(), absl::StatusCode::kInvalidArgument);
}

bool Quick(ApiContext&, Request&, Respond&) { return false; }

// A member route authenticates its caller's token against the store, which
// an io thread must not wait on.
TEST(CheckTable, OnlyAPublicRouteMayRunOnTheIoThread) {
  const Route open[] = {{"POST", "/hook", Access::kPublic, Open, Quick}};
  EXPECT_TRUE(CheckTable(open).ok());
  const Route member[] = {{"POST", "/a", Access::kAdmin, Member, Quick}};
  EXPECT_EQ(CheckTable(member).code(), absl::StatusCode::kInvalidArgument);
}

TEST(CheckTable, EveryResourceTableIsWellFormed) {
  for (std::span<const Route> table : AllRouteTables()) {
    EXPECT_FALSE(table.empty());
    EXPECT_TRUE(CheckTable(table).ok()) << CheckTable(table);
  }
}

TEST(Permit, RolesFollowCertnsModel) {
  EXPECT_EQ(ErrorCode(Permit(Role::kCoordinator, Access::kReport)), "report_forbidden");
  EXPECT_TRUE(Permit(Role::kCoordinator, Access::kResults).ok());
  EXPECT_EQ(ErrorCode(Permit(Role::kViewer, Access::kResults)), "results_forbidden");
  EXPECT_EQ(ErrorCode(Permit(Role::kViewer, Access::kRecruit)), "read_only_role");
  EXPECT_TRUE(Permit(Role::kViewer, Access::kTeamMember).ok());
}

// Who may call each registered route, written out by hand for every route:
// "*" anyone, else the roles (a admin, r recruiter, c coordinator, v viewer).
// A route registered without a row here, or a row for no registered route,
// fails: adding a route means deciding who may call it.
// clang-format off
const std::map<std::string, std::string> kWhoMay = {
    {"GET /healthz", "*"}, {"GET /readyz", "*"}, {"GET /metrics", "*"},
    {"POST /certn/certnWebhookHandler", "*"}, {"GET /certn/certnWebhookHandler", "*"},
    {"GET /api/v1/me", "arcv"}, {"GET /api/v1/team", "arcv"}, {"PATCH /api/v1/team", "a"},
    {"POST /api/v1/jobs", "a"}, {"GET /api/v1/jobs", "arcv"}, {"GET /api/v1/jobs/{job_id}", "arcv"},
    {"PATCH /api/v1/jobs/{job_id}", "a"},
    {"GET /api/v1/jobs/{job_id}/interview-plan", "arcv"},
    {"POST /api/v1/jobs/{job_id}/interview-plan/stages", "a"},
    {"PATCH /api/v1/jobs/{job_id}/interview-plan/stages/{stage_id}", "a"},
    {"DELETE /api/v1/jobs/{job_id}/interview-plan/stages/{stage_id}", "a"},
    {"POST /api/v1/jobs/{job_id}/interview-plan/stages/{stage_id}/activities", "a"},
    {"PATCH /api/v1/jobs/{job_id}/interview-plan/stages/{stage_id}/activities/{activity_id}", "a"},
    {"DELETE /api/v1/jobs/{job_id}/interview-plan/stages/{stage_id}/activities/{activity_id}", "a"},
    {"GET /api/v1/activity-kinds", "a"},
    {"POST /api/v1/candidates", "arc"}, {"GET /api/v1/candidates", "arcv"},
    {"GET /api/v1/candidates/{candidate_id}", "arcv"},
    {"PATCH /api/v1/candidates/{candidate_id}", "arc"},
    {"GET /api/v1/candidates/{candidate_id}/files", "ar"},
    {"GET /api/v1/candidates/{candidate_id}/files/{file_id}", "ar"},
    {"GET /api/v1/candidates/{candidate_id}/activity", "arcv"},
    {"GET /api/v1/candidates/{candidate_id}/background-checks", "arcv"},
    {"POST /api/v1/candidates/{candidate_id}/background-checks", "arc"},
    {"POST /api/v1/applications", "arc"}, {"GET /api/v1/applications", "arcv"},
    {"GET /api/v1/applications/counts", "arcv"},
    {"GET /api/v1/applications/{application_id}", "arcv"},
    {"POST /api/v1/applications/{application_id}/move", "arc"},
    {"POST /api/v1/applications/{application_id}/status", "arc"},
    {"POST /api/v1/applications/{application_id}/background-checks", "arc"},
    {"GET /api/v1/background-checks/{check_id}", "arcv"},
    {"POST /api/v1/background-checks/{check_id}/refresh", "arc"},
    {"POST /api/v1/background-checks/{check_id}/cancel", "arc"},
    {"POST /api/v1/background-checks/{check_id}/reorder", "arc"},
    {"GET /api/v1/background-checks/{check_id}/report", "ar"},
    {"GET /api/v1/background-checks/{check_id}/results", "arc"},
    {"PUT /api/v1/integrations/certn", "a"}, {"GET /api/v1/integrations/certn", "a"},
    {"POST /api/v1/integrations/certn/verify", "a"},
    {"POST /api/v1/integrations/certn/webhook-secret/rotate", "a"},
    {"GET /api/v1/integrations/certn/packages", "arc"},
    {"GET /api/v1/integrations/certn/deliveries/refused-summary", "a"},
    {"GET /api/v1/integrations/certn/deliveries", "a"},
    {"POST /api/v1/integrations/certn/deliveries/{delivery_id}/replay", "a"},
    {"POST /api/v1/bulk-sends", "arc"}, {"GET /api/v1/bulk-sends/{bulk_send_id}", "arcv"},
    {"GET /api/v1/reports/turnaround", "arcv"},
    {"GET /api/v1/users", "a"}, {"POST /api/v1/users", "a"},
    {"PATCH /api/v1/users/{user_id}", "a"}, {"POST /api/v1/users/{user_id}/deactivate", "a"},
    {"GET /api/v1/users/{user_id}/tokens", "a"}, {"POST /api/v1/users/{user_id}/tokens", "a"},
    {"DELETE /api/v1/users/{user_id}/tokens/{token_id}", "a"},
    {"POST /api/v1/webhook-endpoints", "a"}, {"GET /api/v1/webhook-endpoints", "a"},
    {"GET /api/v1/webhook-endpoints/{endpoint_id}", "a"},
    {"PATCH /api/v1/webhook-endpoints/{endpoint_id}", "a"},
    {"DELETE /api/v1/webhook-endpoints/{endpoint_id}", "a"},
    {"POST /api/v1/webhook-endpoints/{endpoint_id}/rotate-secret", "a"},
    {"GET /api/v1/webhook-endpoints/{endpoint_id}/deliveries", "a"},
    {"POST /api/v1/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/replay", "a"},
    {"GET /api/v1/team/retention", "a"}, {"PATCH /api/v1/team/retention", "a"},
    {"DELETE /api/v1/candidates/{candidate_id}", "a"},
    {"GET /api/v1/notifications", "arcv"}, {"GET /api/v1/notifications/unread-count", "arcv"},
    {"POST /api/v1/notifications/read-all", "arcv"},
    {"POST /api/v1/notifications/{notification_id}/read", "arcv"},
    {"GET /api/v1/applications/{application_id}/watch", "arc"},
    {"POST /api/v1/applications/{application_id}/watch", "arc"},
    {"DELETE /api/v1/applications/{application_id}/watch", "arc"},
};
// clang-format on

// Narrower (core/domain/team.h) caps a token's role by its user's: sound only
// while the roles nest in kGrants, each allowed all a narrower one is.
TEST(Permit, TheRolesNestAsNarrowerAssumes) {
  const Role roles[] = {Role::kAdmin, Role::kRecruiter, Role::kCoordinator, Role::kViewer};
  const Access accesses[] = {Access::kTeamMember, Access::kRecruit, Access::kResults,
                             Access::kReport, Access::kAdmin};
  for (Role wide : roles) {
    for (Role narrow : roles) {
      if (Narrower(wide, narrow) != narrow) continue;
      EXPECT_TRUE(NoWiderThan(narrow, wide));
      for (Access access : accesses) {
        if (Allows(narrow, access)) {
          EXPECT_TRUE(Allows(wide, access)) << RoleName(narrow) << " is narrower than "
                                            << RoleName(wide) << " but may do something it may not";
        }
      }
    }
  }
  EXPECT_EQ(Narrower(Role::kRecruiter, Role::kViewer), Role::kViewer);
  EXPECT_EQ(Narrower(Role::kCoordinator, Role::kAdmin), Role::kCoordinator);
  EXPECT_FALSE(NoWiderThan(Role::kAdmin, Role::kRecruiter));
}

TEST(Permit, EveryRegisteredRouteHasARuleForEveryRole) {
  const std::pair<Role, char> roles[] = {{Role::kAdmin, 'a'},
                                         {Role::kRecruiter, 'r'},
                                         {Role::kCoordinator, 'c'},
                                         {Role::kViewer, 'v'}};
  std::set<std::string> registered;
  for (std::span<const Route> table : AllRouteTables()) {
    for (const Route& route : table) {
      const std::string name = std::string(route.method) + " " + std::string(route.path);
      registered.insert(name);
      auto rule = kWhoMay.find(name);
      ASSERT_NE(rule, kWhoMay.end()) << name << " has no rule in kWhoMay: decide who may call it";
      for (const auto& [role, letter] : roles) {
        const bool may = rule->second == "*" || rule->second.find(letter) != std::string::npos;
        absl::Status permitted = Permit(role, route.access);
        EXPECT_EQ(permitted.ok(), may) << name << " for " << RoleName(role);
        if (!may) {
          EXPECT_EQ(permitted.code(), absl::StatusCode::kPermissionDenied) << name;
        }
      }
    }
  }
  for (const auto& [name, who] : kWhoMay) {
    EXPECT_TRUE(registered.contains(name)) << name << " has a rule but is not registered";
  }
}

}  // namespace
}  // namespace stagecheck::http
