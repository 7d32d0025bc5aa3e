// Reconciliation through the real service and the fake Certn
// (docs/architecture.md "Reconciliation"): a lost webhook is found in Certn's
// event feed and costs one case fetch; checks the feed says nothing about
// are not fetched; without a feed, quiet checks are fetched instead.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/integration/api/api_fixture.h"

namespace stagecheck::api_test {
namespace {

class ReconcileTest : public ApiTest {
 public:
  // Every 100 ms, events taken at once, and every open check "quiet" at once
  // (so only the feed keeps the quiet ones from being fetched).
  static void SetUpTestSuite() {
    StartSuite({"--reconcile-interval-ms", "100", "--events-grace-ms", "1", "--reconcile-after-ms", "1"});
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
  size_t FeedReads(const std::string& certn_team_id) {
    auto requests = fake().Requests("events");
    EXPECT_TRUE(requests.ok()) << requests.status();
    size_t n = 0;
    for (const auto& r : requests.value_or(std::vector<fake_certn::LoggedRequest>{})) {
      n += r.certn_team_id == certn_team_id ? 1 : 0;
    }
    return n;
  }
  // Polls until the service has read the team's feed `more` more times.
  void WaitFeedReads(const std::string& certn_team_id, size_t more) {
    const size_t target = FeedReads(certn_team_id) + more;
    EXPECT_TRUE(stagecheck::testing::WaitFor([&] { return FeedReads(certn_team_id) >= target; }))
        << "the event feed was read " << FeedReads(certn_team_id) << " times, not " << target;
  }
  std::string CaseOf(const TeamTokens& team, const std::string& check) {
    return svc().Get("/api/v1/background-checks/" + check, team.recruiter_token).String("/certn_case_id").value_or("");
  }
  std::string StatusOf(const TeamTokens& team, const std::string& check) {
    return svc().Get("/api/v1/background-checks/" + check, team.recruiter_token).String("/status").value_or("");
  }
};

TEST_F(ReconcileTest, ALostWebhookIsFoundInTheEventFeedAndCostsOneFetch) {
  World w = NewWorld(/*connect_certn=*/true, /*send_check=*/false);
  // The first read only finds where the feed stands; checks come after it.
  EXPECT_TRUE(stagecheck::testing::WaitFor([&] {
    return QueryInt(absl::StrCat("SELECT COUNT(*) FROM integrations WHERE team_id = '", w.team.team_id,
                                 "' AND events_cursor IS NOT NULL")) == 1;
  }));
  const std::string lost = SendCheck(w.team, w.application, w.activity);
  const std::string other_candidate = CreateCandidate(w.team, "bob@example.com");
  const std::string quiet = SendCheck(w.team, CreateApplication(w.team, other_candidate, w.job), w.activity);
  WaitOrdered(w.team, lost);
  WaitOrdered(w.team, quiet);
  WaitQuiet(w.team);
  WaitFeedReads(w.certn.certn_team_id, 2);  // the order's events are behind the cursor now
  WaitQuiet(w.team);
  const std::string lost_case = CaseOf(w.team, lost);
  const std::string quiet_case = CaseOf(w.team, quiet);
  ASSERT_FALSE(lost_case.empty());
  const size_t lost_before = Fetches(lost_case);
  const size_t quiet_before = Fetches(quiet_case);

  // Certn moves the case; its one webhook is lost on the way.
  ASSERT_TRUE(fake().SetWebhookFaults({.drop = true, .times = 1}).ok());
  ASSERT_TRUE(fake().AdvanceCase(lost_case, "APPLICANT_STARTED").ok());
  EXPECT_TRUE(stagecheck::testing::WaitFor([&] { return StatusOf(w.team, lost) == "in_progress"; }))
      << StatusOf(w.team, lost);
  WaitQuiet(w.team);
  // More reads find nothing new: still one fetch, and none for the quiet check.
  WaitFeedReads(w.certn.certn_team_id, 3);
  WaitQuiet(w.team);
  EXPECT_EQ(Fetches(lost_case), lost_before + 1);
  EXPECT_EQ(Fetches(quiet_case), quiet_before);
  EXPECT_EQ(StatusOf(w.team, quiet), "invited");
  auto deliveries = fake().Deliveries();
  ASSERT_TRUE(deliveries.ok());
  bool dropped = false;
  for (const auto& d : *deliveries) dropped |= d.object_id == lost_case && d.attempt == 0;
  EXPECT_TRUE(dropped) << "the fake did not drop the webhook";
}

TEST_F(ReconcileTest, WithoutAnEventFeedQuietChecksAreFetchedAndTheFallbackIsLoggedOnce) {
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
    logged += absl::StrContains(line, "certn.events_feed.unavailable") && absl::StrContains(line, w.team.team_id);
  }
  EXPECT_EQ(logged, 1u);
}

}  // namespace
}  // namespace stagecheck::api_test
