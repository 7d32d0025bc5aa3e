// The operational endpoints tell the truth about durable work: /metrics shows
// how long the oldest due item has waited, and /readyz fails once work has
// stopped moving (here: an item held by a worker that died with a long lease).
#include "core/services/work_health.h"
#include "tests/integration/api/api_fixture.h"

namespace stagecheck::api_test {
namespace {

class OpsTest : public ApiTest {};

// A sample's value: the line that starts with `series` (a name, with its
// labels if any), not # TYPE's; -1 when there is none.
double SampleValue(const HttpResponse& metrics, const std::string& series) {
  const std::string line = "\n" + series + " ";
  size_t at = metrics.body.find(line);
  if (at == std::string::npos) return -1;
  return std::stod(metrics.body.substr(at + line.size()));
}

double OldestDueSeconds(const HttpResponse& metrics) {
  return SampleValue(metrics, "stagecheck_work_oldest_due_seconds");
}

TEST_F(OpsTest, ReadyzFailsOnceDueWorkStopsMovingAndRecoversWhenItMovesAgain) {
  TeamTokens team = NewTeam();
  WaitQuiet(team);
  ASSERT_EQ(svc().Get("/readyz").status, 200);
  HttpResponse metrics = svc().Get("/metrics");
  EXPECT_EQ(OldestDueSeconds(metrics), 0) << metrics.body;

  // A worker claimed an order 20 minutes ago and died holding an hour's lease.
  const int64_t now_us = absl::ToUnixMicros(absl::Now());
  const int64_t due_us = now_us - absl::ToInt64Microseconds(absl::Minutes(20));
  const int64_t lease_us = now_us + absl::ToInt64Microseconds(absl::Hours(1));
  ExecSql(absl::StrCat(
      "INSERT INTO work_items (team_id, work_id, kind, subject, payload, dedupe_key, run_at, "
      "attempts, last_error, state, lease_owner, lease_until) VALUES ('",
      team.team_id, "', 'stuck-1', 'certn.order', 'nothing', X'', NULL, ", due_us,
      ", 1, '', 'pending', 'worker-that-died', ", lease_us, ")"));
  HttpResponse stalled = svc().Get("/readyz");
  EXPECT_PROBLEM(stalled, 503, "work_stalled");
  EXPECT_NE(stalled.String("/detail").value_or("").find("without being run"), std::string::npos)
      << stalled.body;
  metrics = svc().Get("/metrics");
  EXPECT_GE(OldestDueSeconds(metrics), absl::ToDoubleSeconds(absl::Minutes(20)) - 5)
      << metrics.body;
  EXPECT_GT(OldestDueSeconds(metrics), absl::ToDoubleSeconds(kWorkStallsAfter));
  // /healthz stays up: the process is alive, it is the pipeline that is stuck.
  EXPECT_EQ(svc().Get("/healthz").status, 200);

  // Once the item is out of the way, the service is ready again.
  ExecSql(absl::StrCat("UPDATE work_items SET state = 'done' WHERE team_id = '", team.team_id,
                       "' AND work_id = 'stuck-1'"));
  EXPECT_EQ(svc().Get("/readyz").status, 200);
  EXPECT_EQ(OldestDueSeconds(svc().Get("/metrics")), 0);
}

// The group committer's histograms: a sent check's webhooks and the
// worker's outcomes went through it, each batch counted once in each.
TEST_F(OpsTest, MetricsShowTheGroupCommittersBatches) {
  World w = NewWorld();
  WaitQuiet(w.team);
  HttpResponse metrics = svc().Get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  for (const std::string name :
       {"stagecheck_commit_batch_pieces", "stagecheck_commit_batch_seconds",
        "stagecheck_commit_durable_wait_seconds", "stagecheck_wal_fsync_seconds"}) {
    EXPECT_NE(metrics.body.find("# TYPE " + name + " histogram"), std::string::npos) << name;
    EXPECT_GE(SampleValue(metrics, name + "_count"), 1) << metrics.body;
    EXPECT_GE(SampleValue(metrics, name + "_sum"), 0) << name;
  }
  // Pieces are counted in their own buckets, not in seconds'.
  const double batches = SampleValue(metrics, "stagecheck_commit_batch_pieces_count");
  EXPECT_GE(SampleValue(metrics, "stagecheck_commit_batch_pieces_sum"), batches);
  EXPECT_GE(SampleValue(metrics, R"(stagecheck_commit_batch_pieces_bucket{le="256"})"), batches);
  EXPECT_GE(SampleValue(metrics, R"(stagecheck_commit_batch_seconds_bucket{le="0.0001"})"), 0);
}

}  // namespace
}  // namespace stagecheck::api_test
