// The webhook delivery log for admins: GET /api/v1/integrations/certn/deliveries
// (filters, pages, never a body) and POST .../deliveries/{id}/replay, the same
// use case as `stagecheck deliveries replay`.
#include <set>

#include "tests/integration/api/api_fixture.h"

namespace stagecheck::api_test {
namespace {

class DeliveriesTest : public ApiTest {
 protected:
  static constexpr char kPath[] = "/api/v1/integrations/certn/deliveries";
  HttpResponse List(const World& w, const std::string& query = "") {
    return svc().Get(std::string(kPath) + query, w.team.admin_token);
  }
  std::string CaseOf(const World& w) {
    return svc()
        .Get("/api/v1/background-checks/" + w.check, w.team.recruiter_token)
        .String("/certn_case_id")
        .value_or("");
  }
};

TEST_F(DeliveriesTest, AdminsSeeTheirTeamsDeliveriesAndNeverABody) {
  World w = NewWorld();
  HttpResponse list = List(w);
  ASSERT_EQ(list.status, 200) << Describe(list);
  ASSERT_GE(list.Size("/items").value_or(0), 1u) << list.body;
  bool found = false;
  for (size_t i = 0; i < list.Size("/items").value_or(0); ++i) {
    const std::string item = "/items/" + std::to_string(i);
    EXPECT_FALSE(list.Has(item + "/body")) << list.body;
    EXPECT_FALSE(list.Has(item + "/headers")) << list.body;
    if (list.String(item + "/delivery_id") != w.delivery) continue;
    found = true;
    EXPECT_EQ(list.String(item + "/case_id"), CaseOf(w));
    EXPECT_EQ(list.String(item + "/verdict"), "applied");
    EXPECT_EQ(list.String(item + "/check_id"), w.check);
    EXPECT_TRUE(list.String(item + "/received_at").has_value());
  }
  EXPECT_TRUE(found) << "delivery " << w.delivery << " not listed: " << list.body;
  // Not a secret or a signature anywhere in the answer.
  EXPECT_EQ(list.body.find(w.certn.webhook_secret), std::string::npos);
  EXPECT_EQ(list.body.find("Signature"), std::string::npos);
  // Recruiters may not read it; another team sees none of it.
  EXPECT_PROBLEM(svc().Get(kPath, w.team.recruiter_token), 403, "admin_only");
  World other = NewWorld(/*connect_certn=*/true, /*send_check=*/false);
  HttpResponse theirs = List(other);
  ASSERT_EQ(theirs.status, 200);
  EXPECT_EQ(theirs.body.find(w.delivery), std::string::npos) << theirs.body;
}

TEST_F(DeliveriesTest, FiltersNarrowTheLogAndPagesWalkIt) {
  World w = NewWorld();
  const std::string case_id = CaseOf(w);
  ASSERT_TRUE(fake().AdvanceCase(case_id, "APPLICANT_STARTED").ok());
  WaitQuiet(w.team);
  HttpResponse all = List(w);
  const size_t total = all.Size("/items").value_or(0);
  ASSERT_GE(total, 2u) << all.body;
  EXPECT_EQ(List(w, "?case_id=" + case_id).Size("/items"), total);
  EXPECT_EQ(List(w, "?case_id=no-such-case").Size("/items"), 0u);
  EXPECT_EQ(List(w, "?verdict=applied").Size("/items"), total);
  EXPECT_EQ(List(w, "?verdict=orphan").Size("/items"), 0u);
  EXPECT_GE(List(w, "?event_type=CASE_STATUS_CHANGED").Size("/items").value_or(0), 2u);
  EXPECT_EQ(List(w, "?event_type=NOTHING_LIKE_IT").Size("/items"), 0u);
  EXPECT_EQ(List(w, "?since=2000-01-01T00:00:00Z").Size("/items"), total);
  EXPECT_EQ(List(w, "?since=2999-01-01T00:00:00Z").Size("/items"), 0u);
  EXPECT_EQ(List(w, "?until=2000-01-01T00:00:00Z").Size("/items"), 0u);
  // One at a time, newest first, each exactly once.
  std::vector<std::string> seen;
  std::string after;
  for (size_t page = 0; page <= total; ++page) {
    HttpResponse p = List(w, "?limit=1" + (after.empty() ? std::string() : "&after=" + after));
    ASSERT_EQ(p.status, 200) << Describe(p);
    if (p.Size("/items") == 1u) seen.push_back(p.String("/items/0/delivery_id").value_or(""));
    if (p.IsNull("/next")) break;
    after = p.String("/next").value_or("");
  }
  EXPECT_EQ(seen.size(), total);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), total);
}

TEST_F(DeliveriesTest, BadFiltersAre400NamingTheParameter) {
  World w = NewWorld(/*connect_certn=*/true, /*send_check=*/false);
  for (const auto& [query, param] : std::vector<std::pair<std::string, std::string>>{
           {"?verdict=bogus", "verdict"},
           {"?since=yesterday", "since"},
           {"?until=2026-13-01T00:00:00Z", "until"},
           {"?case_id=", "case_id"},
           {"?event_type=" + std::string(201, 'X'), "event_type"}}) {
    SCOPED_TRACE(query);
    HttpResponse r = List(w, query);
    EXPECT_PROBLEM(r, 400, "invalid_filter");
    EXPECT_EQ(r.String("/field"), param) << r.body;
    EXPECT_NE(r.String("/detail").value_or("").find(param), std::string::npos) << r.body;
  }
  EXPECT_PROBLEM(List(w, "?limit=0"), 400, "invalid_limit");
  EXPECT_PROBLEM(List(w, "?after=not-a-cursor"), 400, "invalid_cursor");
}

TEST_F(DeliveriesTest, ReplayFetchesTheCaseAgainOnlyForTheTeamsOwnDelivery) {
  World w = NewWorld();
  ASSERT_TRUE(fake().ClearRequests().ok());
  const std::string replay = std::string(kPath) + "/" + w.delivery + "/replay";
  EXPECT_PROBLEM(svc().Post(replay, "", w.team.recruiter_token), 403, "admin_only");
  World other = NewWorld(/*connect_certn=*/true, /*send_check=*/false);
  EXPECT_PROBLEM(svc().Post(replay, "", other.team.admin_token), 404, "not_found");
  EXPECT_PROBLEM(
      svc().Post(std::string(kPath) + "/no-such-delivery/replay", "", w.team.admin_token), 404,
      "not_found");
  HttpResponse replayed = svc().Post(replay, "", w.team.admin_token);
  ASSERT_EQ(replayed.status, 202) << Describe(replayed);
  EXPECT_EQ(replayed.String("/replayed"), w.delivery);
  // The worker fetched the case again (and only this team's).
  bool fetched = stagecheck::testing::WaitFor([&] {
    auto requests = fake().Requests("get_case");
    return requests.ok() && !requests->empty();
  });
  EXPECT_TRUE(fetched);
  WaitQuiet(w.team);
  HttpResponse check = svc().Get("/api/v1/background-checks/" + w.check, w.team.recruiter_token);
  EXPECT_EQ(check.String("/status"), "invited") << check.body;
}

// Refused deliveries are never stored; the team's admins get their count for
// the last hour (the Certn settings page's banner), and no other team sees it.
TEST_F(DeliveriesTest, SignatureFailuresAreCountedForTheirTeamOnly) {
  World w = NewWorld();
  World other = NewWorld(/*connect_certn=*/true, /*send_check=*/false);
  const std::string summary_path = std::string(kPath) + "/refused-summary";
  HttpResponse before = svc().Get(summary_path, w.team.admin_token);
  ASSERT_EQ(before.status, 200) << Describe(before);
  EXPECT_EQ(before.Int("/failed_signature"), 0);
  EXPECT_TRUE(before.IsNull("/last_failed_at")) << before.body;
  const std::string body =
      R"({"id":"evt-wrong-secret","event_type":"CASE_STATUS_CHANGED","object_id":")" + CaseOf(w) +
      R"(","object_type":"CASE"})";
  for (int i = 0; i < 3; ++i) {
    EXPECT_PROBLEM(
        svc().Post("/certn/certnWebhookHandler", body, "", {{"X-Signature", std::string(64, 'a')}}),
        401, "bad_signature");
  }
  HttpResponse after = svc().Get(summary_path, w.team.admin_token);
  ASSERT_EQ(after.status, 200) << Describe(after);
  EXPECT_EQ(after.Int("/failed_signature"), 3) << after.body;
  EXPECT_EQ(after.Int("/refused"), 3) << after.body;
  EXPECT_EQ(after.Int("/window_seconds"), 3600);
  EXPECT_EQ(after.String("/scope"), "replica");
  EXPECT_TRUE(after.String("/last_failed_at").has_value()) << after.body;
  // Counts only: never a body, a signature or a sender.
  EXPECT_EQ(after.body.find("evt-wrong-secret"), std::string::npos);
  EXPECT_EQ(after.body.find("aaaaaaaa"), std::string::npos);
  EXPECT_EQ(after.body.find("127.0.0.1"), std::string::npos);
  // Not stored, so not in the log.
  EXPECT_EQ(List(w).body.find("evt-wrong-secret"), std::string::npos);
  EXPECT_EQ(svc().Get(summary_path, other.team.admin_token).Int("/failed_signature"), 0);
  EXPECT_PROBLEM(svc().Get(summary_path, w.team.recruiter_token), 403, "admin_only");
}

}  // namespace
}  // namespace stagecheck::api_test
