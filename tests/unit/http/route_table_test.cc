// The route tables' access rules and shape (adapters/http/api/route_table.h).
// Requests through the tables, with real tokens, are tests/integration/api.
#include "adapters/http/api/route_table.h"

#include "adapters/http/api/certn/certn_routes.h"
#include "adapters/http/api/routes.h"
#include "core/errors.h"
#include "gtest/gtest.h"

namespace stagecheck::http {
namespace {

TEST(Permit, AnAdminMeetsEveryRequirement) {
  for (Access access : {Access::kPublic, Access::kTeamMember, Access::kAdmin}) {
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

TEST(CheckTable, EveryResourceTableIsWellFormed) {
  for (std::span<const Route> table :
       {TeamRoutes(), JobRoutes(), PlanRoutes(), CandidateRoutes(), ApplicationRoutes(),
        OpsRoutes(), CertnIntegrationRoutes(), CertnDeliveryRoutes(), CertnCheckRoutes(),
        CertnWebhookRoutes()}) {
    EXPECT_FALSE(table.empty());
    EXPECT_TRUE(CheckTable(table).ok()) << CheckTable(table);
  }
}

}  // namespace
}  // namespace stagecheck::http
