// Certn as it really is (docs/architecture.md, "Tolerant reading"), end to
// end on each back-end: a key whose groups name no Certn team still
// connects; a result to review is shown as such; an applicant who declines
// and a case Certn cancels end the check as cancelled, with the reason.
#include "absl/strings/str_cat.h"
#include "tests/e2e/e2e_support.h"

namespace stagecheck::e2e {
namespace {

class OutcomesTest : public E2eTest {
 protected:
  // Sends a check for a new candidate with `email`; returns {check, case}.
  std::pair<std::string, std::string> SendFor(const std::string& email) {
    if (job_.empty()) job_ = CreateJobWithCertnStage("pkg-standard");
    std::string candidate = CreateCandidate(
        absl::StrCat(R"({"first_name":"Grace","last_name":"Hopper","email":")", email, R"("})"));
    std::string app = CreateApplication(candidate, job_);
    HttpResponse sent =
        svc_->Post("/api/v1/applications/" + app + "/background-checks",
                   absl::StrCat(R"({"activity_id":")", ActivityId(job_), R"("})"),
                   team_.recruiter_token, {{"Idempotency-Key", "outcome-" + email}});
    EXPECT_EQ(sent.status, 202) << sent.body;
    std::string check = sent.String("/id").value_or("");
    HttpResponse invited = WaitForCheck(check, "/status", "invited");
    return {check, invited.String("/certn_case_id").value_or("")};
  }
  std::string job_;
};

TEST_F(OutcomesTest, AKeyWhoseGroupsNameNoCertnTeamConnects) {
  HttpResponse integration = svc_->Get("/api/v1/integrations/certn", team_.admin_token);
  ASSERT_EQ(integration.status, 200) << integration.body;
  EXPECT_EQ(integration.String("/status"), "connected");
  EXPECT_TRUE(integration.IsNull("/certn_team_id")) << integration.body;
}

TEST_F(OutcomesTest, AResultToReviewIsShownAsNeedsReview) {
  auto [check, case_id] = SendFor("grace+review@example.com");
  ASSERT_FALSE(case_id.empty());
  AdvanceToComplete(case_id);
  HttpResponse complete = WaitForCheck(check, "/status", "complete");
  EXPECT_EQ(complete.String("/overall_score"), "REVIEW");
  EXPECT_EQ(complete.String("/labels/kula"), "Needs review");
}

TEST_F(OutcomesTest, AnApplicantWhoDeclinesEndsTheCheckAsCancelled) {
  auto [check, case_id] = SendFor("grace.declines@example.com");
  ASSERT_FALSE(case_id.empty());
  ASSERT_TRUE(fake_->AdvanceCase(case_id, "APPLICANT_DECLINED").ok());
  HttpResponse declined = WaitForCheck(check, "/status", "cancelled");
  EXPECT_EQ(declined.String("/error_reason"), "applicant_declined");
  EXPECT_TRUE(declined.IsNull("/waiting"));
}

TEST_F(OutcomesTest, ACaseCertnCancelsEndsTheCheckAsCancelled) {
  auto [check, case_id] = SendFor("grace.cancelled@example.com");
  ASSERT_FALSE(case_id.empty());
  ASSERT_TRUE(fake_->AdvanceCase(case_id, "CANCELLED").ok());
  HttpResponse cancelled = WaitForCheck(check, "/status", "cancelled");
  EXPECT_EQ(cancelled.String("/labels/lever_tag"), "CERTN - Cancelled");
}

}  // namespace
}  // namespace stagecheck::e2e
