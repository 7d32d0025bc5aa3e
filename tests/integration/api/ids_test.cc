// Unknown IDs and other teams' IDs: always 404 (never 403), never a byte of
// the other team's data, nothing changed on either side.
#include "tests/integration/api/api_fixture.h"

namespace stagecheck::api_test {
namespace {

class IdsTest : public ApiTest {};

std::string TokenFor(const TeamTokens& team, const Endpoint& e) {
  return e.admin_only ? team.admin_token : team.recruiter_token;
}

// The same world with every ID replaced by `id`.
World WithIds(const World& w, const std::string& id) {
  World u = w;
  u.job = u.stage = u.bg_stage = u.activity = u.candidate = u.application = u.check = u.delivery =
      id;
  return u;
}

TEST_F(IdsTest, UnknownIdsAre404OnEveryRoute) {
  World w = NewWorld();
  const std::string before = StableSnapshot(w);
  for (const std::string& id :
       {std::string("00000000-0000-0000-0000-000000000000"), std::string("nope"),
        std::string("%27%20OR%201%3D1--"), std::string(100, 'z')}) {
    for (const Endpoint& e : AllEndpoints(WithIds(w, id))) {
      if (!e.has_ids) continue;
      SCOPED_TRACE(e.name());
      HttpResponse r = svc().Request(e.method, e.path, e.body, {}, TokenFor(w.team, e));
      EXPECT_EQ(r.status, 404) << Describe(r);
      EXPECT_EQ(r.Header("content-type").value_or("").rfind("application/problem+json", 0), 0u)
          << Describe(r);
      EXPECT_TRUE(r.code().ends_with("not_found")) << Describe(r);
    }
  }
  EXPECT_EQ(Snapshot(w), before);
}

TEST_F(IdsTest, AnotherTeamsIdsAre404AndLeakNothing) {
  World a = NewWorld();
  World b = NewWorld();
  // Team A's data that must never show up in B's answers.
  HttpResponse a_check = svc().Get("/api/v1/background-checks/" + a.check, a.team.recruiter_token);
  ASSERT_EQ(a_check.status, 200) << Describe(a_check);
  const std::string a_case = a_check.String("/certn_case_id").value_or("");
  ASSERT_FALSE(a_case.empty());
  HttpResponse renamed = svc().Patch("/api/v1/candidates/" + a.candidate,
                                     R"({"first_name":"Secretia","email":"secretia@a.example"})",
                                     a.team.recruiter_token);
  ASSERT_EQ(renamed.status, 200) << Describe(renamed);
  const std::string before_a = StableSnapshot(a);
  const std::string before_b = StableSnapshot(b);
  int routes = 0;
  // B's tokens on A's paths.
  for (const Endpoint& e : AllEndpoints(a)) {
    if (!e.has_ids) continue;
    ++routes;
    SCOPED_TRACE(e.name());
    HttpResponse r = svc().Request(e.method, e.path, e.body, {}, TokenFor(b.team, e));
    EXPECT_EQ(r.status, 404) << Describe(r);
    EXPECT_TRUE(r.code().ends_with("not_found")) << Describe(r);
    for (const std::string& secret : {std::string("Secretia"), std::string("secretia@a.example"),
                                      a_case, a.certn.certn_team_id, a.team.team_id}) {
      EXPECT_EQ(r.body.find(secret), std::string::npos) << secret << " leaked: " << r.body;
    }
  }
  EXPECT_GE(routes, 20);
  // A's IDs inside B's bodies and mixed paths.
  struct Mixed {
    std::string method, path, body;
  };
  const std::string b_app = "/api/v1/applications/" + b.application;
  const std::vector<Mixed> mixed = {
      {"POST", "/api/v1/applications",
       absl::StrCat(R"({"candidate_id":)", JsonQuote(a.candidate), R"(,"job_id":)",
                    JsonQuote(b.job), "}")},
      {"POST", "/api/v1/applications",
       absl::StrCat(R"({"candidate_id":)", JsonQuote(b.candidate), R"(,"job_id":)",
                    JsonQuote(a.job), "}")},
      {"POST", b_app + "/move", absl::StrCat(R"({"stage_id":)", JsonQuote(a.bg_stage), "}")},
      {"POST", b_app + "/background-checks",
       absl::StrCat(R"({"activity_id":)", JsonQuote(a.activity), "}")},
      {"GET", "/api/v1/jobs/" + b.job + "/interview-plan/stages/" + a.stage, ""},
      {"PATCH", "/api/v1/jobs/" + b.job + "/interview-plan/stages/" + a.stage, R"({"name":"x"})"},
      {"DELETE",
       "/api/v1/jobs/" + b.job + "/interview-plan/stages/" + a.bg_stage + "/activities/" +
           a.activity,
       ""},
      {"GET", "/api/v1/candidates/" + b.candidate + "/files/" + a.check, ""},
      {"GET", "/api/v1/applications?candidate_id=" + a.candidate, ""},
      {"GET", "/api/v1/applications?job_id=" + a.job, ""},
  };
  for (const Mixed& m : mixed) {
    SCOPED_TRACE(m.method + " " + m.path + " " + m.body);
    HttpResponse r = svc().Request(m.method, m.path, m.body, {}, b.team.admin_token);
    if (m.method == "GET" && m.path.find("/api/v1/applications?") == 0) {
      // A filter on someone else's ID finds nothing (or is refused as unknown).
      EXPECT_TRUE((r.status == 200 && r.Size("/items") == 0u) || r.status == 404) << Describe(r);
    } else if (m.path.find("/interview-plan/stages/") != std::string::npos && m.method == "GET") {
      EXPECT_GE(r.status, 404) << Describe(r);  // no such route for GET, or unknown stage
    } else {
      EXPECT_EQ(r.status, 404) << Describe(r);
    }
    for (const std::string& secret : {std::string("Secretia"), a_case, a.team.team_id}) {
      EXPECT_EQ(r.body.find(secret), std::string::npos) << secret << " leaked: " << r.body;
    }
  }
  EXPECT_EQ(Snapshot(a), before_a);
  EXPECT_EQ(Snapshot(b), before_b);
}

TEST_F(IdsTest, ListsShowOnlyTheCallersTeam) {
  World a = NewWorld(/*connect_certn=*/false, /*send_check=*/false);
  World b = NewWorld(/*connect_certn=*/false, /*send_check=*/false);
  for (const char* list : {"/api/v1/jobs", "/api/v1/candidates", "/api/v1/applications"}) {
    SCOPED_TRACE(list);
    HttpResponse r = svc().Get(list, b.team.admin_token);
    ASSERT_EQ(r.status, 200) << Describe(r);
    EXPECT_EQ(r.Size("/items"), 1u) << r.body;
    for (const std::string& id : {a.job, a.candidate, a.application}) {
      EXPECT_EQ(r.body.find(id), std::string::npos) << r.body;
    }
  }
}

TEST_F(IdsTest, UnknownRoutesAre404AndWrongMethodsAre405) {
  TeamTokens team = NewTeam();
  EXPECT_EQ(svc().Get("/api/v1/nothing-here", team.admin_token).status, 404);
  EXPECT_EQ(svc().Get("/api/v2/jobs", team.admin_token).status, 404);
  HttpResponse r = svc().Request("DELETE", "/api/v1/jobs", "", {}, team.admin_token);
  EXPECT_EQ(r.status, 405) << Describe(r);
  EXPECT_TRUE(r.Header("allow").has_value()) << Describe(r);
}

}  // namespace
}  // namespace stagecheck::api_test
