// Reconciliation through the real service and the fake Certn
// (docs/architecture.md "Reconciliation"): a lost webhook is found in Certn's
// event feed and costs one case fetch; checks the feed says nothing about
// are not fetched; without a feed, quiet checks are fetched instead.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/integration/api/api_fixture.h"

namespace stagecheck::api_test {
namespace {

class ReconcileTest : public ApiTest {
 public:
  // The feed read every 100 ms, its events taken 2 s after Certn made them
  // (their webhooks are in by then); events and checks older than a minute
  // count as history and quiet.
  static void SetUpTestSuite() {
    StartSuite({"--reconcile-interval-ms", "100", "--events-grace-ms", "2000",
                "--reconcile-after-ms", "60000"});
  }

 protected:
  // Case fetches the fake Certn has answered for this case.
  size_t Fetches(const std::string& case_id) {
    auto requests = fake().Requests("get_case");
    EXPECT_TRUE(requests.ok()) << requests.status();
    size_t n = 0;
    for (const auto& r : requests.value_or(std::vector<fake_certn::LoggedRequest>{})) {
      n += absl::StrContains(r.path, case_id) ? 1 : 0;
    }
    return n;
  }
  std::string CaseOf(const TeamTokens& team, const std::string& check) {
    return svc()
        .Get("/api/v1/background-checks/" + check, team.recruiter_token)
        .String("/certn_case_id")
        .value_or("");
  }
  std::string StatusOf(const TeamTokens& team, const std::string& check) {
    return svc()
        .Get("/api/v1/background-checks/" + check, team.recruiter_token)
        .String("/status")
        .value_or("");
  }
};

TEST_F(ReconcileTest, ALostWebhookIsFoundInTheEventFeedAndCostsOneFetch) {
  World w = NewWorld(/*connect_certn=*/true, /*send_check=*/false);
  const std::string cursor_sql =
      absl::StrCat("SELECT COALESCE(events_cursor, 'none') FROM integrations WHERE team_id = '",
                   w.team.team_id, "'");
  // The first read only finds where the feed stands; checks come after it.
  EXPECT_TRUE(stagecheck::testing::WaitFor([&] { return QueryText(cursor_sql) != "none"; }));
  const std::string lost = SendCheck(w.team, w.application, w.activity);
  const std::string delivered = SendCheck(
      w.team, CreateApplication(w.team, CreateCandidate(w.team, "bob@example.com"), w.job),
      w.activity);
  const std::string quiet =
      SendCheck(w.team, CreateApplication(w.team, CreateCandidate(w.team, "cy@example.com"), w.job),
                w.activity);
  for (const std::string& check : {lost, delivered, quiet}) WaitOrdered(w.team, check);
  WaitQuiet(w.team);
  const std::string lost_case = CaseOf(w.team, lost);
  const std::string delivered_case = CaseOf(w.team, delivered);
  const std::string quiet_case = CaseOf(w.team, quiet);
  ASSERT_FALSE(lost_case.empty());
  // The order's events are behind the cursor before the counting starts.
  auto cursor = [&] {
    int64_t n = -1;
    return absl::SimpleAtoi(QueryText(cursor_sql), &n) ? n : -1;
  };
  int64_t last_event = 0;
  for (const auto& d : fake().Deliveries().value_or(std::vector<fake_certn::DeliveryRecord>{})) {
    if (d.object_id == lost_case || d.object_id == delivered_case || d.object_id == quiet_case) {
      int64_t id = 0;
      if (absl::SimpleAtoi(d.delivery_id, &id)) last_event = std::max(last_event, id);
    }
  }
  EXPECT_TRUE(stagecheck::testing::WaitFor([&] { return cursor() >= last_event; }))
      << "cursor " << cursor() << ", events up to " << last_event;
  WaitQuiet(w.team);
  const size_t lost_before = Fetches(lost_case);
  const size_t delivered_before = Fetches(delivered_case);
  const size_t quiet_before = Fetches(quiet_case);
  const int64_t cursor_before = cursor();

  // Certn moves two cases: one webhook is lost on the way, the other arrives.
  ASSERT_TRUE(fake().SetWebhookFaults({.drop = true, .times = 1}).ok());
  ASSERT_TRUE(fake().AdvanceCase(lost_case, "APPLICANT_STARTED").ok());
  ASSERT_TRUE(fake().AdvanceCase(delivered_case, "APPLICANT_STARTED").ok());
  for (const std::string& check : {lost, delivered}) {
    EXPECT_TRUE(stagecheck::testing::WaitFor([&] {
      return StatusOf(w.team, check) == "in_progress";
    })) << check
        << ": " << StatusOf(w.team, check);
  }
  // Once the feed has read past both events: one fetch each (the lost one's
  // from the feed, the other's from its webhook alone), none for the quiet check.
  EXPECT_TRUE(stagecheck::testing::WaitFor([&] { return cursor() >= cursor_before + 2; }))
      << "cursor " << cursor() << " (was " << cursor_before << ")";
  WaitQuiet(w.team);
  EXPECT_EQ(Fetches(lost_case), lost_before + 1);
  EXPECT_EQ(Fetches(delivered_case), delivered_before + 1);
  EXPECT_EQ(Fetches(quiet_case), quiet_before);
  EXPECT_EQ(StatusOf(w.team, quiet), "invited");
  bool dropped = false;
  for (const auto& d : fake().Deliveries().value_or(std::vector<fake_certn::DeliveryRecord>{})) {
    dropped |= d.object_id == lost_case && d.attempt == 0;
  }
  EXPECT_TRUE(dropped) << "the fake did not drop the webhook";
}

// Every open check "quiet" at once: without a feed, each read fetches them.
class ReconcileFallbackTest : public ReconcileTest {
 public:
  static void SetUpTestSuite() {
    StartSuite({"--reconcile-interval-ms", "100", "--events-grace-ms", "2000",
                "--reconcile-after-ms", "1"});
  }
};

TEST_F(ReconcileFallbackTest, WithoutAnEventFeedQuietChecksAreFetchedAndTheFallbackIsLoggedOnce) {
  ASSERT_TRUE(fake().SetEventsFeed(false).ok());
  struct Restore {
    ~Restore() { (void)ApiTest::fake().SetEventsFeed(true); }
  } restore;
  World w = NewWorld(/*connect_certn=*/true, /*send_check=*/true);
  WaitQuiet(w.team);
  const std::string case_id = CaseOf(w.team, w.check);
  ASSERT_FALSE(case_id.empty());
  const size_t before = Fetches(case_id);
  // No webhook at all: the fallback fetches the quiet check, interval after interval.
  EXPECT_TRUE(stagecheck::testing::WaitFor([&] { return Fetches(case_id) >= before + 2; }))
      << Fetches(case_id) << " fetches";
  size_t logged = 0;
  for (absl::string_view line : absl::StrSplit(svc().ReadLog(), '\n')) {
    logged += absl::StrContains(line, "certn.events_feed.unavailable") &&
              absl::StrContains(line, w.team.team_id);
  }
  EXPECT_EQ(logged, 1u);
}

}  // namespace
}  // namespace stagecheck::api_test
