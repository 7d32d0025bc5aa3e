// Cancel and re-order through the API: wrong states, unknown and other
// teams' ids, bad bodies; every refusal changes nothing.
#include "tests/integration/api/api_fixture.h"

namespace stagecheck::api_test {
namespace {

class CancelReorderTest : public ApiTest {
 protected:
  HttpResponse Cancel(const World& w, const std::string& check, const std::string& body = "{}",
                      const std::string& token = "") {
    return svc().Post("/api/v1/background-checks/" + check + "/cancel", body,
                      token.empty() ? w.team.recruiter_token : token);
  }
  HttpResponse Reorder(const World& w, const std::string& check, const std::string& body = "{}",
                       const Headers& headers = {}) {
    return svc().Post("/api/v1/background-checks/" + check + "/reorder", body,
                      w.team.recruiter_token, headers);
  }
  HttpResponse WaitStatus(const World& w, const std::string& check, const std::string& status) {
    HttpResponse last;
    EXPECT_TRUE(testing::WaitFor(
        [&] {
          last = svc().Get("/api/v1/background-checks/" + check, w.team.recruiter_token);
          return last.String("/status") == status;
        },
        absl::Seconds(30)))
        << Describe(last);
    return last;
  }
};

TEST_F(CancelReorderTest, AnOpenCheckIsNotReorderedAndUnknownOrForeignIdsAre404) {
  World a = NewWorld();
  World b = NewWorld();
  const std::string before_a = StableSnapshot(a);
  EXPECT_PROBLEM(Reorder(a, a.check), 409, "check_not_ended");
  EXPECT_PROBLEM(Cancel(a, "no-such-check"), 404, "not_found");
  EXPECT_PROBLEM(Reorder(a, "no-such-check"), 404, "not_found");
  // B's recruiter on A's check: 404, nothing of A's leaks.
  HttpResponse foreign = Cancel(b, a.check);
  EXPECT_PROBLEM(foreign, 404, "not_found");
  EXPECT_EQ(foreign.body.find(a.check), std::string::npos);
  EXPECT_PROBLEM(Reorder(b, a.check), 404, "not_found");
  EXPECT_PROBLEM(Cancel(a, a.check, R"({"reason":42})"), 400, "invalid_body");
  EXPECT_PROBLEM(Reorder(a, a.check, R"({"package_id":""})"), 400, "invalid_body");
  EXPECT_EQ(Snapshot(a), before_a);
}

TEST_F(CancelReorderTest, ACompleteCheckAnswers409WithItsStateAndIsNotReordered) {
  World w = NewWorld();
  HttpResponse check = svc().Get("/api/v1/background-checks/" + w.check, w.team.recruiter_token);
  const std::string case_id = check.String("/certn_case_id").value_or("");
  ASSERT_TRUE(fake().AdvanceCase(case_id, "COMPLETE").ok());
  WaitStatus(w, w.check, "complete");
  const std::string before = StableSnapshot(w);
  HttpResponse refused = Cancel(w, w.check);
  EXPECT_PROBLEM(refused, 409, "check_complete");
  EXPECT_NE(refused.String("/detail").value_or("").find("complete"), std::string::npos)
      << Describe(refused);
  EXPECT_PROBLEM(Reorder(w, w.check), 409, "check_not_ended");
  EXPECT_EQ(Snapshot(w), before);
}

TEST_F(CancelReorderTest, ACancelledCheckIsReorderedOnceAndAnotherCheckBlocksIt) {
  World w = NewWorld();
  HttpResponse asked = Cancel(w, w.check, R"({"reason":"Role closed"})");
  ASSERT_EQ(asked.status, 202) << Describe(asked);
  EXPECT_EQ(asked.String("/cancellation/reason"), "Role closed");
  HttpResponse cancelled = WaitStatus(w, w.check, "cancelled");
  EXPECT_EQ(cancelled.String("/error_reason"), "cancelled_by_user");
  EXPECT_FALSE(cancelled.String("/cancellation/requested_by").value_or("").empty())
      << Describe(cancelled);
  // Asking again answers the check as it is.
  EXPECT_EQ(Cancel(w, w.check).status, 202);
  // Another check sent meanwhile blocks the re-order on the same application.
  std::string other = SendCheck(w.team, w.application, w.activity);
  EXPECT_PROBLEM(Reorder(w, w.check), 409, "check_already_active");
  ASSERT_EQ(Cancel(w, other).status, 202);
  WaitStatus(w, other, "cancelled");
  HttpResponse again = Reorder(w, w.check, "{}", {{"Idempotency-Key", "reorder-1"}});
  ASSERT_EQ(again.status, 202) << Describe(again);
  EXPECT_EQ(again.String("/reordered_from"), w.check);
  // The same key with another body is a different request.
  EXPECT_PROBLEM(
      Reorder(w, w.check, R"({"package_id":"pkg-standard"})", {{"Idempotency-Key", "reorder-1"}}),
      422, "idempotency_key_reused");
  EXPECT_PROBLEM(Reorder(w, w.check), 409, "already_reordered");
}

TEST_F(CancelReorderTest, AnEndedCheckOfAnInactiveApplicationIsNotReordered) {
  World w = NewWorld();
  ASSERT_EQ(Cancel(w, w.check).status, 202);
  WaitStatus(w, w.check, "cancelled");
  HttpResponse hired = svc().Post("/api/v1/applications/" + w.application + "/status",
                                  R"({"status":"hired"})", w.team.recruiter_token);
  ASSERT_EQ(hired.status, 200) << Describe(hired);
  const std::string before = StableSnapshot(w);
  EXPECT_PROBLEM(Reorder(w, w.check), 422, "application_not_active");
  EXPECT_EQ(Snapshot(w), before);
}

}  // namespace
}  // namespace stagecheck::api_test
