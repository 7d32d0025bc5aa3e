// The operational endpoints tell the truth about durable work: /metrics shows
// how long the oldest due item has waited, and /readyz fails once work has
// stopped moving (here: an item held by a worker that died with a long lease).
#include "core/services/work_health.h"
#include "tests/integration/api/api_fixture.h"

namespace stagecheck::api_test {
namespace {

class OpsTest : public ApiTest {};

// The sample's value (the line that starts with the name, not # TYPE's).
double OldestDueSeconds(const HttpResponse& metrics) {
  const std::string name = "\nstagecheck_work_oldest_due_seconds ";
  size_t at = metrics.body.find(name);
  if (at == std::string::npos) return -1;
  return std::stod(metrics.body.substr(at + name.size()));
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

}  // namespace
}  // namespace stagecheck::api_test
