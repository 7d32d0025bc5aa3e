// Cancel and re-order (docs/architecture.md, "Cancel and re-order"), end to
// end on each back-end against the fake Certn: a cancel goes through the
// outbox and reaches Certn once; a cancel that races Certn completing the case
// ends complete; an ended check (a bounce, a cancel) is re-ordered once, linked
// to the one it replaces.
#include "absl/strings/str_cat.h"
#include "tests/e2e/e2e_support.h"

namespace stagecheck::e2e {
namespace {

class CancelReorderTest : public E2eTest {
 protected:
  struct Sent {
    std::string check;
    std::string case_id;
    std::string application;
    std::string candidate;
  };
  // Sends a check for a new candidate with `email` and waits for `status`.
  Sent SendFor(const std::string& email, const std::string& status = "invited") {
    if (job_.empty()) job_ = CreateJobWithCertnStage("pkg-standard");
    Sent s;
    s.candidate = CreateCandidate(
        absl::StrCat(R"({"first_name":"Grace","last_name":"Hopper","email":")", email, R"("})"));
    s.application = CreateApplication(s.candidate, job_);
    HttpResponse sent = svc_->Post("/api/v1/applications/" + s.application + "/background-checks",
                                   absl::StrCat(R"({"activity_id":")", ActivityId(job_), R"("})"),
                                   team_.recruiter_token, {{"Idempotency-Key", "send-" + email}});
    EXPECT_EQ(sent.status, 202) << sent.body;
    s.check = sent.String("/id").value_or("");
    s.case_id = WaitForCheck(s.check, "/status", status).String("/certn_case_id").value_or("");
    return s;
  }
  HttpResponse Cancel(const std::string& check, const std::string& body = "{}") {
    return svc_->Post("/api/v1/background-checks/" + check + "/cancel", body,
                      team_.recruiter_token);
  }
  HttpResponse Reorder(const std::string& check, const std::string& body = "{}",
                       const std::string& key = "") {
    testing::Headers headers;
    if (!key.empty()) headers.emplace_back("Idempotency-Key", key);
    return svc_->Post("/api/v1/background-checks/" + check + "/reorder", body,
                      team_.recruiter_token, headers);
  }
  // Requests the fake saw on `endpoint` for one case.
  size_t CallsFor(const std::string& endpoint, const std::string& case_id) {
    auto log = fake_->Requests(endpoint);
    EXPECT_TRUE(log.ok()) << log.status();
    size_t n = 0;
    if (log.ok()) {
      for (const auto& r : *log) n += r.path.find(case_id) != std::string::npos ? 1 : 0;
    }
    return n;
  }
  std::string job_;
};

TEST_F(CancelReorderTest, ACancelledCheckEndsCancelledByTheUserAndANewOneCanBeSent) {
  Sent s = SendFor("grace.cancel@example.com");
  ASSERT_FALSE(s.case_id.empty());
  HttpResponse asked = Cancel(s.check, R"({"reason":"Candidate withdrew"})");
  ASSERT_EQ(asked.status, 202) << asked.body;
  EXPECT_EQ(asked.String("/cancellation/reason"), "Candidate withdrew");
  HttpResponse cancelled = WaitForCheck(s.check, "/status", "cancelled");
  EXPECT_EQ(cancelled.String("/error_reason"), "cancelled_by_user");
  EXPECT_EQ(cancelled.String("/labels/lever_tag"), "CERTN - Cancelled");
  EXPECT_EQ(CallsFor("cancel_case", s.case_id), 1u);
  // Asking again answers the check as it is and calls no one.
  HttpResponse again = Cancel(s.check);
  EXPECT_EQ(again.status, 202) << again.body;
  EXPECT_EQ(again.String("/status"), "cancelled");
  HttpResponse candidate = svc_->Get("/api/v1/candidates/" + s.candidate, team_.recruiter_token);
  EXPECT_NE(candidate.body.find("CERTN - Cancelled"), std::string::npos) << candidate.body;
  HttpResponse next = svc_->Post("/api/v1/applications/" + s.application + "/background-checks",
                                 absl::StrCat(R"({"activity_id":")", ActivityId(job_), R"("})"),
                                 team_.recruiter_token);
  EXPECT_EQ(next.status, 202) << next.body;
  EXPECT_EQ(CallsFor("cancel_case", s.case_id), 1u);
}

TEST_F(CancelReorderTest, CancellingACompletedCheckAnswersConflictWithItsState) {
  Sent s = SendFor("grace.done@example.com");
  ASSERT_FALSE(s.case_id.empty());
  AdvanceToComplete(s.case_id);
  WaitForCheck(s.check, "/status", "complete");
  HttpResponse refused = Cancel(s.check);
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_EQ(refused.String("/code"), "check_complete");
  EXPECT_EQ(CallsFor("cancel_case", s.case_id), 0u);
}

TEST_F(CancelReorderTest, ACancelRacingCompletionEndsCompleteEitherWay) {
  Sent s = SendFor("grace.race@example.com");
  ASSERT_FALSE(s.case_id.empty());
  // Certn completes the case; our cancel goes out before or after its webhook.
  ASSERT_TRUE(fake_->AdvanceCase(s.case_id, "COMPLETE").ok());
  HttpResponse asked = Cancel(s.check, R"({"reason":"too late?"})");
  ASSERT_TRUE(asked.status == 202 || asked.status == 409) << asked.body;
  if (asked.status == 409) {
    EXPECT_EQ(asked.String("/code"), "check_complete");
  }
  HttpResponse complete = WaitForCheck(s.check, "/status", "complete", absl::Seconds(40));
  EXPECT_TRUE(complete.IsNull("/error_reason")) << complete.body;
  EXPECT_LE(CallsFor("cancel_case", s.case_id), 1u);
}

TEST_F(CancelReorderTest, ABouncedInvitationIsReorderedOnceLinkedToTheFirst) {
  Sent s = SendFor("grace+bounce@example.com", "error");
  HttpResponse bounced = svc_->Get("/api/v1/background-checks/" + s.check, team_.recruiter_token);
  EXPECT_EQ(bounced.String("/error_reason"), "invite_undeliverable");
  // The recruiter fixes the address, then re-orders.
  HttpResponse fixed = svc_->Patch("/api/v1/candidates/" + s.candidate,
                                   R"({"email":"grace@example.com"})", team_.recruiter_token);
  ASSERT_EQ(fixed.status, 200) << fixed.body;
  HttpResponse first = Reorder(s.check, "{}", "reorder-bounce");
  ASSERT_EQ(first.status, 202) << first.body;
  EXPECT_EQ(first.String("/reordered_from"), s.check);
  EXPECT_EQ(first.String("/package_id"), "pkg-standard");
  HttpResponse replay = Reorder(s.check, "{}", "reorder-bounce");
  EXPECT_EQ(replay.status, 202) << replay.body;
  EXPECT_EQ(replay.String("/id"), first.String("/id"));
  HttpResponse twice = Reorder(s.check, "{}", "reorder-bounce-2");
  EXPECT_EQ(twice.status, 409) << twice.body;
  EXPECT_EQ(twice.String("/code"), "already_reordered");
  std::string fresh = first.String("/id").value_or("");
  HttpResponse invited = WaitForCheck(fresh, "/status", "invited");
  EXPECT_NE(invited.String("/certn_case_id"), s.case_id);
  auto orders = fake_->Requests("order_package");
  ASSERT_TRUE(orders.ok());
  size_t for_fresh = 0;
  for (const auto& r : *orders) for_fresh += r.idempotency_key == fresh ? 1 : 0;
  EXPECT_EQ(for_fresh, 1u);
}

TEST_F(CancelReorderTest, ACancelledCheckIsReorderedWithAChosenPackage) {
  Sent s = SendFor("grace.again@example.com");
  ASSERT_EQ(Cancel(s.check).status, 202);
  WaitForCheck(s.check, "/status", "cancelled");
  HttpResponse open = Reorder(s.check, R"({"package_id":"pkg-tenant"})");
  EXPECT_EQ(open.status, 400) << open.body;
  HttpResponse again = Reorder(s.check, R"({"package_id":"pkg-basic"})");
  ASSERT_EQ(again.status, 202) << again.body;
  EXPECT_EQ(again.String("/package_id"), "pkg-basic");
  EXPECT_EQ(again.String("/reordered_from"), s.check);
  std::string fresh = again.String("/id").value_or("");
  WaitForCheck(fresh, "/status", "invited");
  // An open check is not re-ordered.
  HttpResponse not_ended = Reorder(fresh);
  EXPECT_EQ(not_ended.status, 409) << not_ended.body;
  EXPECT_EQ(not_ended.String("/code"), "check_not_ended");
}

TEST_F(CancelReorderTest, ACheckCancelledWhileItsOrderIsRetriedEndsWithItsCaseCancelledOnce) {
  if (job_.empty()) job_ = CreateJobWithCertnStage("pkg-standard");
  // The first order attempt fails: Certn may or may not have made the case,
  // so the retry places it again (same reference) and cancels what it gets.
  ASSERT_TRUE(fake_->InjectFault({.endpoint = "order_package", .status = 503, .times = 1}).ok());
  std::string candidate =
      CreateCandidate(R"({"first_name":"Ada","last_name":"L","email":"ada.slow@example.com"})");
  std::string app = CreateApplication(candidate, job_);
  HttpResponse sent =
      svc_->Post("/api/v1/applications/" + app + "/background-checks", "{}", team_.recruiter_token);
  ASSERT_EQ(sent.status, 202) << sent.body;
  std::string check = sent.String("/id").value_or("");
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        auto orders = fake_->Requests("order_package");
        return orders.ok() && !orders->empty();
      },
      absl::Seconds(20)));
  HttpResponse asked = Cancel(check, R"({"reason":"sent by mistake"})");
  ASSERT_EQ(asked.status, 202) << asked.body;
  HttpResponse done = WaitForCheck(check, "/certn_status", "CANCELLED", absl::Seconds(40));
  EXPECT_EQ(done.String("/status"), "cancelled");
  EXPECT_EQ(done.String("/error_reason"), "cancelled_by_user");
  std::string case_id = done.String("/certn_case_id").value_or("");
  ASSERT_FALSE(case_id.empty());
  EXPECT_EQ(CallsFor("cancel_case", case_id), 1u);
}

}  // namespace
}  // namespace stagecheck::e2e
