// Users, roles and tokens through the API (issue 19): an admin adds users
// and tokens, a revoked token or a deactivated user is refused on the next
// request, each role meets every route as kGrants says, reports refuse those
// without the right, and every look at a report is in the feed for admins.
#include "absl/strings/match.h"
#include "tests/integration/api/api_fixture.h"

namespace stagecheck::api_test {
namespace {

class UsersTest : public ApiTest {
 protected:
  // A user of `team` with `role` and one token: {user id, clear token}.
  std::pair<std::string, std::string> AddUser(const TeamTokens& team, const std::string& name,
                                              const std::string& role) {
    static int n = 0;
    const std::string email = "user" + std::to_string(++n) + "@example.com";
    HttpResponse user = svc().Post("/api/v1/users",
                                   R"({"name":)" + JsonQuote(name) + R"(,"email":")" + email +
                                       R"(","role":")" + role + R"("})",
                                   team.admin_token);
    EXPECT_EQ(user.status, 201) << Describe(user);
    const std::string id = user.String("/id").value_or("");
    HttpResponse token =
        svc().Post("/api/v1/users/" + id + "/tokens", R"({"name":"laptop"})", team.admin_token);
    EXPECT_EQ(token.status, 201) << Describe(token);
    return {id, token.String("/token").value_or("")};
  }
};

// What a role may do on an endpoint of AllEndpoints, by its path: the same
// grid as docs/operations.md; 403 otherwise.
bool May(const std::string& role, const Endpoint& e) {
  if (e.admin_only) return role == "admin";
  const bool report = absl::StrContains(e.path, "/files") || absl::EndsWith(e.path, "/report");
  if (report) return role == "admin" || role == "recruiter";
  if (absl::EndsWith(e.path, "/results")) return role != "viewer";
  if (e.method != "GET") return role != "viewer";
  if (absl::EndsWith(e.path, "/integrations/certn/packages")) return role != "viewer";
  return true;
}

TEST_F(UsersTest, EachRoleMeetsEveryRouteAsTheGrantsSay) {
  World w = NewWorld();
  const std::string before = StableSnapshot(w);
  std::vector<std::pair<std::string, std::string>> tokens = {
      {"coordinator", AddUser(w.team, "Cora Ordin", "coordinator").second},
      {"viewer", AddUser(w.team, "Vic Ewer", "viewer").second},
  };
  for (const auto& [role, token] : tokens) {
    for (const Endpoint& e : AllEndpoints(w)) {
      SCOPED_TRACE(role + " " + e.name());
      if (May(role, e)) {
        if (e.method != "GET") continue;  // reads only: writes would change the world
        HttpResponse r = svc().Request(e.method, e.path, e.body, {}, token);
        EXPECT_NE(r.status, 403) << Describe(r);
        EXPECT_NE(r.status, 401) << Describe(r);
      } else {
        HttpResponse r = svc().Request(e.method, e.path, e.body, {}, token);
        EXPECT_EQ(r.status, 403) << Describe(r);
        EXPECT_FALSE(r.code().empty());
      }
    }
  }
  EXPECT_EQ(Snapshot(w), before);
}

TEST_F(UsersTest, AViewerSeesStatusButNoResultAndACoordinatorNoReport) {
  World w = NewWorld();
  auto [coordinator_id, coordinator] = AddUser(w.team, "Cora Ordin", "coordinator");
  auto [viewer_id, viewer] = AddUser(w.team, "Vic Ewer", "viewer");
  HttpResponse seen = svc().Get("/api/v1/background-checks/" + w.check, viewer);
  ASSERT_EQ(seen.status, 200) << Describe(seen);
  EXPECT_TRUE(seen.Has("/status"));
  EXPECT_EQ(seen.Size("/results"), 0u);
  EXPECT_TRUE(seen.IsNull("/results_url"));
  EXPECT_PROBLEM(svc().Get("/api/v1/background-checks/" + w.check + "/results", viewer), 403,
                 "results_forbidden");
  EXPECT_PROBLEM(svc().Get("/api/v1/applications?result=CLEAR", viewer), 403, "results_forbidden");
  EXPECT_PROBLEM(svc().Get("/api/v1/background-checks/" + w.check + "/report", coordinator), 403,
                 "report_forbidden");
  EXPECT_PROBLEM(svc().Get("/api/v1/candidates/" + w.candidate + "/files", coordinator), 403,
                 "report_forbidden");
  HttpResponse results =
      svc().Get("/api/v1/background-checks/" + w.check + "/results", coordinator);
  EXPECT_EQ(results.status, 200) << Describe(results);
  EXPECT_TRUE(results.IsNull("/report_file_id"));
}

TEST_F(UsersTest, ARevokedTokenIsRefusedOnItsNextRequest) {
  TeamTokens team = NewTeam();
  auto [user, token] = AddUser(team, "Dana Lee", "recruiter");
  ASSERT_EQ(svc().Get("/api/v1/me", token).status, 200);
  HttpResponse list = svc().Get("/api/v1/users/" + user + "/tokens", team.admin_token);
  ASSERT_EQ(list.Size("/items"), 1u) << Describe(list);
  EXPECT_FALSE(list.Has("/items/0/token"));
  EXPECT_FALSE(absl::StrContains(list.body, token));
  EXPECT_TRUE(list.Has("/items/0/last_used_at"));
  const std::string id = *list.String("/items/0/id");
  EXPECT_EQ(svc().Delete("/api/v1/users/" + user + "/tokens/" + id, team.admin_token).status, 204);
  EXPECT_PROBLEM(svc().Get("/api/v1/me", token), 401, "invalid_token");
  // Idempotent; another team's admin cannot reach it.
  EXPECT_EQ(svc().Delete("/api/v1/users/" + user + "/tokens/" + id, team.admin_token).status, 204);
  TeamTokens other = NewTeam();
  EXPECT_EQ(svc().Delete("/api/v1/users/" + user + "/tokens/" + id, other.admin_token).status, 404);
  EXPECT_EQ(svc().Get("/api/v1/users/" + user + "/tokens", other.admin_token).status, 404);
}

TEST_F(UsersTest, ADeactivatedUsersTokensStopAtOnce) {
  TeamTokens team = NewTeam();
  auto [user, token] = AddUser(team, "Dana Lee", "recruiter");
  ASSERT_EQ(svc().Get("/api/v1/me", token).status, 200);
  HttpResponse off = svc().Post("/api/v1/users/" + user + "/deactivate", "", team.admin_token);
  ASSERT_EQ(off.status, 200) << Describe(off);
  EXPECT_EQ(off.Bool("/active"), false);
  EXPECT_PROBLEM(svc().Get("/api/v1/me", token), 401, "invalid_token");
  EXPECT_PROBLEM(
      svc().Post("/api/v1/users/" + user + "/tokens", R"({"name":"x"})", team.admin_token), 422,
      "user_deactivated");
  HttpResponse me = svc().Get("/api/v1/me", team.admin_token);
  EXPECT_PROBLEM(
      svc().Post("/api/v1/users/" + *me.String("/user_id") + "/deactivate", "", team.admin_token),
      422, "cannot_deactivate_self");
}

TEST_F(UsersTest, BadInputIsRefused) {
  TeamTokens team = NewTeam();
  auto post = [&](const std::string& body) {
    return svc().Post("/api/v1/users", body, team.admin_token);
  };
  EXPECT_PROBLEM(post(R"({"name":"A","email":"not-an-email","role":"viewer"})"), 400,
                 "invalid_email");
  EXPECT_PROBLEM(post(R"({"name":"A","email":"a@example.com","role":"owner"})"), 400,
                 "invalid_body");
  EXPECT_PROBLEM(post(R"({"name":"   ","email":"a@example.com","role":"viewer"})"), 400,
                 "invalid_name");
  EXPECT_PROBLEM(post(R"({"email":"a@example.com","role":"viewer"})"), 400, "invalid_body");
  ASSERT_EQ(post(R"({"name":"A","email":"a@example.com","role":"viewer"})").status, 201);
  EXPECT_PROBLEM(post(R"({"name":"B","email":"A@example.com","role":"viewer"})"), 409,
                 "email_taken");
  HttpResponse users = svc().Get("/api/v1/users", team.admin_token);
  const std::string user = *users.String("/items/0/id");
  const std::string tokens = "/api/v1/users/" + user + "/tokens";
  EXPECT_PROBLEM(svc().Post(tokens, R"({"name":""})", team.admin_token), 400, "invalid_body");
  EXPECT_PROBLEM(svc().Post(tokens, R"({"name":"x","expires_in_days":0})", team.admin_token), 400,
                 "invalid_body");
  EXPECT_EQ(
      svc().Post("/api/v1/users/no-such-user/tokens", R"({"name":"x"})", team.admin_token).status,
      404);
  EXPECT_EQ(svc().Post("/api/v1/users/no-such-user/deactivate", "", team.admin_token).status, 404);
}

TEST_F(UsersTest, EveryLookAtAReportIsInTheFeedForAdminsWithANamedActor) {
  World w = NewWorld();
  auto [user, dana] = AddUser(w.team, "Dana Lee", "recruiter");
  const std::string feed = "/api/v1/candidates/" + w.candidate + "/activity?limit=100";
  HttpResponse results = svc().Get("/api/v1/background-checks/" + w.check + "/results", dana);
  ASSERT_EQ(results.status, 200) << Describe(results);
  HttpResponse admin_feed = svc().Get(feed, w.team.admin_token);
  ASSERT_EQ(admin_feed.status, 200);
  EXPECT_EQ(admin_feed.String("/items/0/type"), "report_viewed");
  EXPECT_EQ(admin_feed.String("/items/0/actor_name"), "Dana Lee");
  EXPECT_EQ(admin_feed.String("/items/0/message"), "Opened the results page");
  EXPECT_EQ(admin_feed.String("/items/0/check_id"), w.check);
  HttpResponse recruiter_feed = svc().Get(feed, dana);
  EXPECT_FALSE(absl::StrContains(recruiter_feed.body, "report_viewed")) << Describe(recruiter_feed);
}

}  // namespace
}  // namespace stagecheck::api_test
