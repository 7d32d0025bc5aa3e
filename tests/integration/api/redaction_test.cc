// Every answer that carries a check obeys kGrants (issue 19): a role without
// the results right never sees a result (score, per-check results, results
// URL, a result rule's words, a notification's result, the turnaround's
// share needing review), a role without the report right never the report
// file, on every route that embeds a check, not only on the report routes.
// Table-driven: one row a role, one probe a route.
#include "absl/strings/match.h"
#include "tests/integration/api/api_fixture.h"

namespace stagecheck::api_test {
namespace {

struct RoleRow {
  std::string role;
  std::string token;
  bool results;
  bool report;
};

class RedactionTest : public ApiTest {
 protected:
  std::string AddUserToken(const TeamTokens& team, const std::string& role) {
    HttpResponse user = svc().Post("/api/v1/users",
                                   R"({"name":"Someone )" + role + R"(","email":")" + role +
                                       R"(@example.com","role":")" + role + R"("})",
                                   team.admin_token);
    EXPECT_EQ(user.status, 201) << Describe(user);
    HttpResponse token = svc().Post("/api/v1/users/" + user.String("/id").value_or("") + "/tokens",
                                    R"({"name":"t"})", team.admin_token);
    EXPECT_EQ(token.status, 201) << Describe(token);
    return token.String("/token").value_or("");
  }

  // The world's activity moves a CLEAR application to a new stage Offer.
  void AddRule(const World& w) {
    const std::string plan = "/api/v1/jobs/" + w.job + "/interview-plan";
    HttpResponse offer = svc().Post(plan + "/stages", R"({"name":"Offer"})", w.team.admin_token);
    ASSERT_EQ(offer.status, 201) << Describe(offer);
    HttpResponse rule =
        svc().Patch(plan + "/stages/" + w.bg_stage + "/activities/" + w.activity,
                    R"({"settings":{"package_id":"pkg-basic","on_clear_move_to_stage":")" +
                        offer.String("/id").value_or("") + R"("}})",
                    w.team.admin_token);
    ASSERT_EQ(rule.status, 200) << Describe(rule);
  }

  // Completes the world's check, and waits for its report and result rule.
  void Complete(const World& w) {
    CompleteAtCertn(w);
    ASSERT_TRUE(testing::WaitFor([&] {
      HttpResponse c = svc().Get("/api/v1/background-checks/" + w.check, w.team.admin_token);
      return c.String("/overall_score") == "CLEAR" && !c.IsNull("/report_file_id") &&
             !c.IsNull("/result_rule");
    })) << "the check never completed with its report and rule";
    WaitQuiet(w.team);
  }
};

// What a body shows of the completed CLEAR check.
void ExpectShows(const std::string& what, const HttpResponse& r, const RoleRow& row) {
  SCOPED_TRACE(row.role + ": " + what + " → " + Describe(r));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(absl::StrContains(r.body, R"("overall_score":"CLEAR")"), row.results);
  EXPECT_EQ(absl::StrContains(r.body, R"("results_url":")"), row.results);
  EXPECT_EQ(absl::StrContains(r.body, R"("result":"CLEAR")"), row.results);
  EXPECT_EQ(absl::StrContains(r.body, "came back CLEAR"), row.results);
  EXPECT_EQ(absl::StrContains(r.body, R"("report_file_id":")"), row.report);
}

TEST_F(RedactionTest, EveryAnswerWithACheckShowsEachRoleWhatKGrantsAllows) {
  World w = NewWorld();
  AddRule(w);
  Complete(w);
  const std::vector<RoleRow> roles = {
      {"admin", w.team.admin_token, true, true},
      {"recruiter", w.team.recruiter_token, true, true},
      {"coordinator", AddUserToken(w.team, "coordinator"), true, false},
      {"viewer", AddUserToken(w.team, "viewer"), false, false},
  };
  const std::string check = "/api/v1/background-checks/" + w.check;
  for (const RoleRow& row : roles) {
    ExpectShows("check", svc().Get(check, row.token), row);
    ExpectShows("application", svc().Get("/api/v1/applications/" + w.application, row.token), row);
    HttpResponse list = svc().Get("/api/v1/applications?job_id=" + w.job, row.token);
    ASSERT_EQ(list.status, 200) << Describe(list);
    EXPECT_EQ(absl::StrContains(list.body, R"("overall_score":"CLEAR")"), row.results) << row.role;
    EXPECT_FALSE(absl::StrContains(list.body, "report_file_id")) << row.role;
    HttpResponse feed =
        svc().Get("/api/v1/candidates/" + w.candidate + "/activity?limit=100", row.token);
    ASSERT_EQ(feed.status, 200) << Describe(feed);
    EXPECT_EQ(absl::StrContains(feed.body, "came back CLEAR"), row.results) << row.role;
    EXPECT_EQ(absl::StrContains(feed.body, "automatically by the activity's rule"), !row.results)
        << row.role << ": " << feed.body;
    HttpResponse turnaround = svc().Get("/api/v1/reports/turnaround", row.token);
    ASSERT_EQ(turnaround.status, 200) << Describe(turnaround);
    ASSERT_EQ(turnaround.Size("/packages"), 1u) << Describe(turnaround);
    EXPECT_EQ(turnaround.IsNull("/packages/0/needs_review_share"), !row.results) << row.role;
  }
}

// A second send while a check is active answers 409 check_already_active
// with the existing check, shown as the caller's role may see it.
TEST_F(RedactionTest, TheRefusedSendsExistingCheckIsRedactedLikeAnyCheck) {
  World w = NewWorld();
  const std::vector<RoleRow> roles = {
      {"recruiter", w.team.recruiter_token, true, true},
      {"coordinator", AddUserToken(w.team, "coordinator"), true, false},
  };
  for (const RoleRow& row : roles) {
    HttpResponse again = svc().Post("/api/v1/applications/" + w.application + "/background-checks",
                                    R"({"activity_id":")" + w.activity + R"("})", row.token);
    EXPECT_PROBLEM(again, 409, "check_already_active");
    EXPECT_EQ(again.String("/existing_check/id"), w.check) << Describe(again);
    EXPECT_EQ(
        again.Has("/existing_check/results_url") && !again.IsNull("/existing_check/results_url"),
        row.results)
        << row.role << ": " << Describe(again);
    EXPECT_TRUE(again.IsNull("/existing_check/report_file_id")) << Describe(again);
  }
  // A viewer may not send at all.
  EXPECT_PROBLEM(
      svc().Post("/api/v1/applications/" + w.application + "/background-checks",
                 R"({"activity_id":")" + w.activity + R"("})", AddUserToken(w.team, "viewer")),
      403, "read_only_role");
}

// The sender's notification says the result; read through a token narrowed
// to a viewer, the same notification says "is complete" only.
TEST_F(RedactionTest, ANotificationLeavesTheResultOutForARoleWithoutIt) {
  World w = NewWorld();
  AddRule(w);
  Complete(w);
  const std::string me =
      svc().Get("/api/v1/me", w.team.recruiter_token).String("/user_id").value_or("");
  HttpResponse narrowed =
      svc().Post("/api/v1/users/" + me + "/tokens", R"({"name":"status board","role":"viewer"})",
                 w.team.admin_token);
  ASSERT_EQ(narrowed.status, 201) << Describe(narrowed);
  const std::string viewer = narrowed.String("/token").value_or("");
  ASSERT_TRUE(testing::WaitFor([&] {
    return svc().Get("/api/v1/notifications", w.team.recruiter_token).Size("/items") == 1;
  }));
  HttpResponse full = svc().Get("/api/v1/notifications", w.team.recruiter_token);
  EXPECT_EQ(full.String("/items/0/text"), "Background check for Ada Lovelace is complete: clear");
  HttpResponse redacted = svc().Get("/api/v1/notifications", viewer);
  ASSERT_EQ(redacted.status, 200) << Describe(redacted);
  EXPECT_EQ(redacted.String("/items/0/text"), "Background check for Ada Lovelace is complete");
  EXPECT_EQ(redacted.String("/items/0/kind"), "completed");
  const std::string id = redacted.String("/items/0/id").value_or("");
  HttpResponse read = svc().Post("/api/v1/notifications/" + id + "/read", "", viewer);
  ASSERT_EQ(read.status, 200) << Describe(read);
  EXPECT_EQ(read.String("/text"), "Background check for Ada Lovelace is complete");
}

}  // namespace
}  // namespace stagecheck::api_test
