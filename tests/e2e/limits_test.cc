// Certn's daily request budget, end to end: when an account's day is spent a
// send waits, visibly and durably, and goes by itself once the budget allows
// it again (here: the admin raises the integration's daily limit; the turn of
// the UTC day is tested with a hand-driven clock in the plugin's unit tests).
#include "absl/strings/str_cat.h"
#include "tests/e2e/e2e_support.h"

namespace stagecheck::e2e {
namespace {

constexpr char kIntegration[] = "/api/v1/integrations/certn";

TEST_F(E2eTest, ASendWaitsVisiblyWhileTheDailyBudgetIsSpentAndGoesWhenItIsRaised) {
  std::string job = CreateJobWithCertnStage("pkg-standard");
  std::string candidate =
      CreateCandidate(R"({"first_name":"Ada","last_name":"Lovelace","email":"ada@example.com"})");
  std::string app = CreateApplication(candidate, job);

  // Connecting already spent today's one call: the budget is now spent, and
  // the integration stays connected (the key is fine; Certn was not asked).
  HttpResponse lowered = svc_->Put(kIntegration, R"({"requests_per_day":1})", team_.admin_token);
  ASSERT_EQ(lowered.status, 200) << lowered.body;
  EXPECT_EQ(lowered.Int("/requests_per_day"), 1);
  EXPECT_EQ(lowered.String("/status"), "connected") << lowered.body;

  HttpResponse sent = svc_->Post("/api/v1/applications/" + app + "/background-checks",
                                 absl::StrCat(R"({"activity_id":")", ActivityId(job), R"("})"),
                                 team_.recruiter_token, {{"Idempotency-Key", "limits-send-1"}});
  ASSERT_EQ(sent.status, 202) << sent.body;
  const std::string check = sent.String("/id").value_or("");
  HttpResponse waiting = WaitForCheck(check, "/waiting/reason", "certn_daily_limit");
  EXPECT_EQ(waiting.String("/status"), "queued");
  EXPECT_EQ(waiting.String("/waiting/message"),
            "Certn's daily limit is reached; sending resumes at 00:00 UTC.");
  EXPECT_TRUE(waiting.String("/waiting/until").has_value());
  auto orders = fake_->Requests("order_package");
  ASSERT_TRUE(orders.ok()) << orders.status();
  EXPECT_TRUE(orders->empty()) << "an order reached Certn past the daily budget";
  HttpResponse feed =
      svc_->Get("/api/v1/candidates/" + candidate + "/activity", team_.recruiter_token);
  EXPECT_NE(feed.body.find("daily limit"), std::string::npos) << feed.body;

  // The admin raises the limit: the waiting send goes at once, exactly once.
  HttpResponse raised = svc_->Put(kIntegration, R"({"requests_per_day":7220})", team_.admin_token);
  ASSERT_EQ(raised.status, 200) << raised.body;
  HttpResponse invited = WaitForCheck(check, "/status", "invited");
  EXPECT_TRUE(invited.IsNull("/waiting")) << invited.body;
  orders = fake_->Requests("order_package");
  ASSERT_TRUE(orders.ok()) << orders.status();
  EXPECT_EQ(orders->size(), 1u);
}

}  // namespace
}  // namespace stagecheck::e2e
