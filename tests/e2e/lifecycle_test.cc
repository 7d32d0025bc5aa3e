// A check's later life end to end on each back-end (docs/architecture.md,
// "Expected completion, turnaround and result rules"): the Certn activity's
// rules move an application on CLEAR and only flag it on REVIEW, never over
// a person's own move and never twice; an open check's expected completion
// comes from Certn's estimate or from the team's completed checks of the
// package, and is flagged delayed once past it; the turnaround report.
#include "absl/strings/str_cat.h"
#include "tests/e2e/e2e_support.h"

namespace stagecheck::e2e {
namespace {

class LifecycleTest : public E2eTest {
 protected:
  // A job whose Certn activity (stage Background) moves a CLEAR application
  // to Offer and flags one needing review.
  void CreateJobWithRules() {
    job_ = CreateJobWithCertnStage("pkg-standard");
    const std::string plan = "/api/v1/jobs/" + job_ + "/interview-plan";
    HttpResponse offer = svc_->Post(plan + "/stages", R"({"name":"Offer"})", team_.admin_token);
    ASSERT_EQ(offer.status, 201) << offer.body;
    offer_ = offer.String("/id").value_or("");
    background_ = StageId(job_, "Background");
    HttpResponse rules = svc_->Patch(
        plan + "/stages/" + background_ + "/activities/" + ActivityId(job_),
        absl::StrCat(R"({"settings":{"package_id":"pkg-standard","on_clear_move_to_stage":")",
                     offer_, R"(","flag_for_review":true}})"),
        team_.admin_token);
    ASSERT_EQ(rules.status, 200) << rules.body;
  }
  struct Sent {
    std::string app, check, case_id;
  };
  // A candidate in stage Background with a check sent and invited.
  Sent SendFrom(const std::string& email, const std::string& package = "") {
    std::string candidate = CreateCandidate(
        absl::StrCat(R"({"first_name":"Ada","last_name":"L","email":")", email, R"("})"));
    Sent s;
    s.app = CreateApplication(candidate, job_);
    if (!background_.empty()) Move(s.app, background_);
    HttpResponse sent =
        svc_->Post("/api/v1/applications/" + s.app + "/background-checks",
                   package.empty() ? "{}" : absl::StrCat(R"({"package_id":")", package, R"("})"),
                   team_.recruiter_token);
    EXPECT_EQ(sent.status, 202) << sent.body;
    s.check = sent.String("/id").value_or("");
    s.case_id = WaitForCheck(s.check, "/status", "invited").String("/certn_case_id").value_or("");
    return s;
  }
  void Move(const std::string& app, const std::string& stage) {
    HttpResponse moved =
        svc_->Post("/api/v1/applications/" + app + "/move",
                   absl::StrCat(R"({"stage_id":")", stage, R"("})"), team_.recruiter_token);
    ASSERT_EQ(moved.status, 200) << moved.body;
  }
  std::string StageOf(const std::string& app) {
    return svc_->Get("/api/v1/applications/" + app, team_.recruiter_token)
        .String("/stage_id")
        .value_or("");
  }
  std::string Feed(const std::string& check) {
    std::string candidate = svc_->Get("/api/v1/background-checks/" + check, team_.recruiter_token)
                                .String("/candidate_id")
                                .value_or("");
    return svc_->Get("/api/v1/candidates/" + candidate + "/activity", team_.recruiter_token).body;
  }
  std::string job_, offer_, background_;
};

TEST_F(LifecycleTest, ClearMovesTheApplicationOnceAndReviewOnlyFlagsIt) {
  CreateJobWithRules();
  Sent clear = SendFrom("ada.clear@example.com");
  Sent review = SendFrom("grace+review@example.com");
  AdvanceToComplete(clear.case_id);
  AdvanceToComplete(review.case_id);
  HttpResponse moved = WaitForCheck(clear.check, "/result_rule/action", "moved");
  EXPECT_EQ(moved.String("/result_rule/stage_id"), offer_);
  EXPECT_EQ(StageOf(clear.app), offer_);
  const std::string feed = Feed(clear.check);
  EXPECT_NE(feed.find("rule:" + ActivityId(job_)), std::string::npos) << feed;
  EXPECT_NE(feed.find("Moved to stage Offer automatically"), std::string::npos) << feed;

  HttpResponse flagged = WaitForCheck(review.check, "/result_rule/action", "flagged");
  EXPECT_EQ(flagged.String("/overall_score"), "REVIEW");
  EXPECT_EQ(StageOf(review.app), background_) << "a REVIEW result never moves the application";
  EXPECT_NE(Feed(review.check).find("flagged_for_review"), std::string::npos);

  // Never twice: a person puts it back, and Certn's answer applied again moves nothing.
  Move(clear.app, background_);
  HttpResponse refreshed = svc_->Post("/api/v1/background-checks/" + clear.check + "/refresh", "",
                                      team_.recruiter_token);
  ASSERT_EQ(refreshed.status, 200) << refreshed.body;
  EXPECT_EQ(StageOf(clear.app), background_);
}

TEST_F(LifecycleTest, ARulesMoveRunsTheNextStagesAutoSendForTheSameSender) {
  CreateJobWithRules();
  // Offer has its own Certn activity (a second package) that sends on entry.
  HttpResponse offer_activity = svc_->Post(
      "/api/v1/jobs/" + job_ + "/interview-plan/stages/" + offer_ + "/activities",
      R"({"kind":"certn_background_check","settings":{"package_id":"pkg-basic","auto_send":true}})",
      team_.admin_token);
  ASSERT_EQ(offer_activity.status, 201) << offer_activity.body;
  Sent s = SendFrom("ada.next@example.com");
  AdvanceToComplete(s.case_id);
  WaitForCheck(s.check, "/result_rule/action", "moved");
  HttpResponse tab;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        tab = svc_->Get("/api/v1/applications/" + s.app, team_.recruiter_token);
        return tab.String("/stages/2/activities/0/background_check/status") == "invited";
      },
      absl::Seconds(30)))
      << tab.body;
  const std::string next = "/stages/2/activities/0/background_check";
  EXPECT_EQ(tab.String("/stages/2/id"), offer_);
  EXPECT_EQ(tab.String(next + "/trigger"), "auto_send");
  EXPECT_EQ(tab.String(next + "/package_id"), "pkg-basic");
  EXPECT_EQ(tab.String(next + "/requested_by"),
            svc_->Get("/api/v1/background-checks/" + s.check, team_.recruiter_token)
                .String("/requested_by"));
  // Once: the first check's answer applied again sends nothing more.
  ASSERT_EQ(
      svc_->Post("/api/v1/background-checks/" + s.check + "/refresh", "", team_.recruiter_token)
          .status,
      200);
  HttpResponse again = svc_->Get("/api/v1/applications/" + s.app, team_.recruiter_token);
  EXPECT_EQ(again.Size("/stages/2/activities/0/earlier_checks"), 0u) << again.body;
}

TEST_F(LifecycleTest, APersonsMoveSinceTheCheckWasSentIsNeverOverridden) {
  CreateJobWithRules();
  Sent s = SendFrom("ada.moved@example.com");
  Move(s.app, StageId(job_, "Screen"));  // the recruiter moved on after sending
  AdvanceToComplete(s.case_id);
  HttpResponse kept = WaitForCheck(s.check, "/result_rule/action", "kept");
  EXPECT_EQ(kept.String("/overall_score"), "CLEAR");
  EXPECT_EQ(StageOf(s.app), StageId(job_, "Screen"));
  EXPECT_NE(kept.String("/result_rule/detail").value_or("").find("a person moved"),
            std::string::npos)
      << kept.body;
}

TEST_F(LifecycleTest, AnOpenCheckIsProjectedFromCompletedOnesAndFlaggedDelayedPastIt) {
  job_ = CreateJobWithCertnStage("pkg-basic");
  for (int i = 0; i < 5; ++i) {
    Sent done = SendFrom(absl::StrCat("ada.done", i, "@example.com"), "pkg-basic");
    AdvanceToComplete(done.case_id);
    WaitForCheck(done.check, "/status", "complete");
  }
  Sent open = SendFrom("ada.open@example.com", "pkg-basic");
  HttpResponse projected =
      svc_->Get("/api/v1/background-checks/" + open.check, team_.recruiter_token);
  EXPECT_EQ(projected.String("/expected_completion/source"), "projection") << projected.body;
  EXPECT_EQ(projected.Int("/expected_completion/based_on"), 5);
  EXPECT_TRUE(projected.String("/expected_completion/at").has_value());
  // The completed ones took about a second: this one is soon past their p90.
  HttpResponse late;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        late = svc_->Get("/api/v1/background-checks/" + open.check, team_.recruiter_token);
        return late.Bool("/delayed") == true;
      },
      absl::Seconds(30)))
      << late.body;
  EXPECT_EQ(late.Bool("/expected_completion/delayed"), true);

  // Certn's own estimate wins over the projection: in an hour, so not late.
  ASSERT_TRUE(fake_
                  ->Call("POST", "/_control/cases/" + open.case_id + "/advance",
                         R"({"status":"APPLICANT_STARTED","estimated_completion_in_s":3600})")
                  .ok());
  HttpResponse estimated =
      svc_->Post("/api/v1/background-checks/" + open.check + "/refresh", "", team_.recruiter_token);
  ASSERT_EQ(estimated.status, 200) << estimated.body;
  HttpResponse certn = svc_->Get("/api/v1/background-checks/" + open.check, team_.recruiter_token);
  EXPECT_EQ(certn.String("/expected_completion/source"), "certn") << certn.body;
  EXPECT_EQ(certn.Bool("/delayed"), false);

  HttpResponse report = svc_->Get("/api/v1/reports/turnaround", team_.recruiter_token);
  ASSERT_EQ(report.status, 200) << report.body;
  EXPECT_EQ(report.Int("/days"), 90);
  ASSERT_EQ(report.Size("/packages"), 1u) << report.body;
  EXPECT_EQ(report.String("/packages/0/package_id"), "pkg-basic");
  EXPECT_EQ(report.Int("/packages/0/count"), 5);
  EXPECT_TRUE(report.Int("/packages/0/p90_seconds").has_value());
  for (const char* bad : {"0", "366", "ninety"}) {
    HttpResponse refused =
        svc_->Get(absl::StrCat("/api/v1/reports/turnaround?days=", bad), team_.recruiter_token);
    EXPECT_EQ(refused.status, 400) << bad << refused.body;
    EXPECT_EQ(refused.code(), "invalid_filter");
  }
}

}  // namespace
}  // namespace stagecheck::e2e
