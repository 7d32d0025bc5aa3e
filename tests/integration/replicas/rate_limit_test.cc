// Certn's rate limit is per account, whoever calls (docs/architecture.md,
// "Rate limits"): two replicas on one PostgreSQL share one budget through it.
// A burst of 300 sends against a fake Certn that enforces Certn's 60 requests,
// here in any 10 seconds rather than a minute (the replicas are told the same
// window), reaches Certn exactly once each, never earns a 429, and drains at
// the limit: about 50 seconds, most of them waiting. Orders are the only calls
// here (see below); the limit counts every call alike.
#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/integration/replicas/cluster.h"
#include "tests/support/pg/pg_test_support.h"

namespace stagecheck::replicas_test {
namespace {

using testing::JsonQuote;
using testing::WaitFor;

constexpr int kSends = 300;
constexpr int kPerWindow = 60;
constexpr int kWindowMs = 10'000;

TEST(ReplicaRateLimitTest, ABurstOf300SendsReachesCertnOnceEachWithinItsLimitAndNo429) {
  auto db = pgtest::ScratchDatabase::Create();
  ASSERT_TRUE(db.ok()) << "the `postgres` ctest fixture must be running: " << db.status();
  auto started = Cluster::Start(
      ClusterOptions{.db_url = db->url(),
                     .replicas = 2,
                     .replica_args = {"--certn-rate-window-ms", absl::StrCat(kWindowMs)}});
  ASSERT_TRUE(started.ok()) << started.status();
  Cluster& cluster = **started;
  ASSERT_TRUE(cluster.fake().SetRateLimit(kPerWindow, kWindowMs).ok());
  auto w = cluster.NewWorld("burst");
  ASSERT_TRUE(w.ok()) << w.status();
  // Certn announces each new case with a webhook, whose case fetch would
  // share the budget with the orders and double the drain; this test is
  // about sends, so those deliveries are refused (a wrong signature).
  ASSERT_TRUE(cluster.fake().SetWebhookFaults({.wrong_signature = true}).ok());
  // Reconciliation would find the same announcements in Certn's event feed
  // and fetch each case (their webhooks never arrived); without a feed it
  // falls back to quiet checks, of which there are none.
  ASSERT_TRUE(cluster.fake().SetEventsFeed(false).ok());

  std::vector<std::string> applications;
  for (int i = 0; i < kSends; ++i) {
    auto candidate = cluster.CreateCandidate(*w, absl::StrCat("burst", i, "@example.com"));
    ASSERT_TRUE(candidate.ok()) << candidate.status();
    auto application = cluster.CreateApplication(*w, *candidate);
    ASSERT_TRUE(application.ok()) << application.status();
    applications.push_back(*application);
  }
  const std::string send = absl::StrCat(R"({"activity_id":)", JsonQuote(w->activity), "}");
  for (int i = 0; i < kSends; ++i) {
    HttpResponse sent =
        cluster.Lb("POST", "/api/v1/applications/" + applications[i] + "/background-checks", send,
                   w->team.recruiter_token, {{"Idempotency-Key", absl::StrCat("burst-", i)}});
    ASSERT_EQ(sent.status, 202) << Describe(sent);
  }

  const std::string ordered_sql = absl::StrCat(
      "SELECT COUNT(*) FROM background_checks WHERE certn_case_id IS NOT NULL AND team_id = '",
      w->team.team_id, "'");
  int64_t ordered = 0;
  // ~50 s expected; the bound stays under the ctest TIMEOUT (240 s), so that a
  // stalled drain prints its diagnostics instead of being killed.
  const bool drained = WaitFor(
      [&] {
        ordered = QueryInt(db->url(), ordered_sql).value_or(-1);
        return ordered == kSends;
      },
      absl::Minutes(3));
  ASSERT_TRUE(drained) << ordered << " of " << kSends << " ordered\n" << cluster.Diagnostics();

  auto log = cluster.fake().Requests();
  ASSERT_TRUE(log.ok()) << log.status();
  std::vector<int64_t> order_times;
  std::set<std::string> references;
  int throttled = 0;
  for (const fake_certn::LoggedRequest& r : *log) {
    if (r.certn_team_id != w->certn.certn_team_id) continue;
    throttled += r.status == 429;
    if (r.endpoint == "order_package" && r.status == 201) {
      order_times.push_back(r.at_unix_ms);
      references.insert(r.idempotency_key);
    }
  }
  EXPECT_EQ(throttled, 0) << "Certn answered 429: the replicas' budget was not shared";
  EXPECT_EQ(order_times.size(), static_cast<size_t>(kSends))
      << "each send reaches Certn exactly once";
  EXPECT_EQ(references.size(), static_cast<size_t>(kSends));
  // Drained at the limit: never more than 60 orders in any window, so 300
  // take at least four full windows after the first.
  std::sort(order_times.begin(), order_times.end());
  size_t most_in_a_window = 0;
  for (size_t first = 0, last = 0; last < order_times.size(); ++last) {
    while (order_times[last] - order_times[first] >= kWindowMs) ++first;
    most_in_a_window = std::max(most_in_a_window, last - first + 1);
  }
  EXPECT_LE(most_in_a_window, static_cast<size_t>(kPerWindow));
  EXPECT_GE(order_times.back() - order_times.front(), 4 * kWindowMs);
}

}  // namespace
}  // namespace stagecheck::replicas_test
