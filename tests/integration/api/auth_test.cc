// 401 for a missing or bad token and 403 for the wrong role, on every route,
// with nothing changed.
#include "tests/integration/api/api_fixture.h"

namespace stagecheck::api_test {
namespace {

class AuthTest : public ApiTest {};

TEST_F(AuthTest, EveryRouteRefusesAMissingOrBadToken) {
  World w = NewWorld();
  const std::string before = StableSnapshot(w);
  const std::vector<std::pair<std::string, std::string>> bad_auth = {
      {"", "missing_token"},
      {"Bearer", "invalid_token"},
      {"Bearer ", "invalid_token"},
      {"Basic YWRtaW46YWRtaW4=", "invalid_token"},
      {"Bearer sc_0000000000000000000000000000000000000000", "invalid_token"},
      {"Bearer not-even-our-format", "invalid_token"},
      {"Bearer " + w.team.admin_token + "x", "invalid_token"},
      {"Bearer " + std::string(300, 'a'), "invalid_token"},
  };
  for (const Endpoint& e : AllEndpoints(w)) {
    for (const auto& [authorization, code] : bad_auth) {
      SCOPED_TRACE(e.name() + " with Authorization '" + authorization.substr(0, 40) + "'");
      Headers headers;
      if (!authorization.empty()) headers.emplace_back("Authorization", authorization);
      HttpResponse r = svc().Request(e.method, e.path, e.body, headers);
      EXPECT_PROBLEM(r, 401, code);
      EXPECT_EQ(r.Header("www-authenticate"), "Bearer");
    }
  }
  EXPECT_EQ(Snapshot(w), before);
}

TEST_F(AuthTest, LowerCaseBearerSchemeIsAccepted) {
  TeamTokens team = NewTeam();
  HttpResponse r =
      svc().Get("/api/v1/me", "", {{"Authorization", "bearer " + team.recruiter_token}});
  EXPECT_EQ(r.status, 200) << Describe(r);
}

TEST_F(AuthTest, RecruitersGet403OnAdminRoutesAndNothingChanges) {
  World w = NewWorld();
  const std::string before = StableSnapshot(w);
  int admin_routes = 0;
  for (const Endpoint& e : AllEndpoints(w)) {
    if (!e.admin_only) continue;
    ++admin_routes;
    SCOPED_TRACE(e.name());
    HttpResponse r = svc().Request(e.method, e.path, e.body, {}, w.team.recruiter_token);
    EXPECT_PROBLEM(r, 403, "admin_only");
  }
  EXPECT_GE(admin_routes, 14);
  EXPECT_EQ(Snapshot(w), before);
}

TEST_F(AuthTest, BothRolesReadTheirOwnTeam) {
  World w = NewWorld(/*connect_certn=*/true, /*send_check=*/false);
  for (const std::string& token : {w.team.admin_token, w.team.recruiter_token}) {
    HttpResponse me = svc().Get("/api/v1/me", token);
    ASSERT_EQ(me.status, 200) << Describe(me);
    EXPECT_EQ(me.String("/team/id"), w.team.team_id);
    EXPECT_EQ(svc().Get("/api/v1/jobs/" + w.job, token).status, 200);
    EXPECT_EQ(svc().Get("/api/v1/jobs/" + w.job + "/interview-plan", token).status, 200);
    EXPECT_EQ(svc().Get("/api/v1/integrations/certn/packages", token).status, 200);
  }
}

TEST_F(AuthTest, OperationalRoutesNeedNoToken) {
  EXPECT_EQ(svc().Get("/healthz").status, 200);
  EXPECT_EQ(svc().Get("/readyz").status, 200);
  HttpResponse metrics = svc().Get("/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("stagecheck_http_requests_total"), std::string::npos);
}

}  // namespace
}  // namespace stagecheck::api_test
