// The store under several replicas on one PostgreSQL, below the HTTP layer:
// - enqueueing a job whose pending twin another replica is completing at that
//   moment never fails (it used to fail with "work item already exists",
//   which turned a webhook delivery into a spurious 503 under load);
// - replicas starting together migrate a fresh database exactly once.
#include <atomic>
#include <cstdio>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "adapters/store/open_store.h"
#include "core/ports/store.h"
#include "core/services/deps.h"
#include "gtest/gtest.h"
#include "tests/integration/replicas/cluster.h"
#include "tests/support/pg/pg_test_support.h"

namespace stagecheck {
namespace {

TEST(ReplicaWorkRaceTest, EnqueueWhileAnotherReplicaCompletesTheTwinNeverFails) {
  auto db = pgtest::ScratchDatabase::Create();
  ASSERT_TRUE(db.ok()) << "the `postgres` ctest fixture must be running: " << db.status();
  auto replica_a = OpenStore(db->url(), StoreOptions{});
  ASSERT_TRUE(replica_a.ok()) << replica_a.status();
  auto replica_b = OpenStore(db->url(), StoreOptions{});
  ASSERT_TRUE(replica_b.ok()) << replica_b.status();
  Store& a = **replica_a;
  Store& b = **replica_b;
  const TeamId team("race-team");
  const std::string dedupe = "certn.fetch_case:check-1";

  // Replica B's worker claims every due item and completes it straight away.
  std::atomic<bool> stop{false};
  std::atomic<int> completed{0};
  std::thread worker([&] {
    for (int i = 0; i < 1000000 && !stop.load(); ++i) {
      absl::StatusOr<std::vector<WorkItem>> claimed =
          InTransaction<std::vector<WorkItem>>(b, [&](UnitOfWork& uow) {
            return uow.ClaimWork(absl::Now(), "replica-b", absl::Now() + absl::Minutes(2), 16);
          });
      if (!claimed.ok()) continue;
      for (const WorkItem& item : *claimed) {
        if (b.Transact([&](UnitOfWork& uow) { return uow.CompleteWork(item.team, item.id); }).ok())
          ++completed;
      }
    }
  });
  // Replica A enqueues the same job again and again, as every webhook
  // delivery for one check does: a pending twin makes it a no-op, a finished
  // twin lets the new one in; neither is an error.
  int failures = 0;
  std::string first_error;
  for (int i = 0; i < 3000; ++i) {
    WorkItem w;
    w.team = team;
    w.id = WorkItemId(absl::StrCat("work-", i));
    w.kind = "certn.fetch_case";
    w.subject = "check-1";
    w.dedupe_key = dedupe;
    w.run_at = absl::Now();
    absl::Status s = a.Transact([&](UnitOfWork& uow) { return uow.EnqueueWork(w); });
    if (!s.ok()) {
      ++failures;
      if (first_error.empty()) first_error = s.ToString();
    }
  }
  stop = true;
  worker.join();
  EXPECT_EQ(failures, 0) << "first: " << first_error;
  EXPECT_GT(completed.load(), 0);
  // A reused work id is still refused.
  WorkItem twin;
  twin.team = team;
  twin.id = WorkItemId("work-0");
  twin.kind = "certn.fetch_case";
  twin.subject = "check-2";
  twin.run_at = absl::Now();
  EXPECT_EQ(a.Transact([&](UnitOfWork& uow) { return uow.EnqueueWork(twin); }).code(),
            absl::StatusCode::kAlreadyExists);
}

TEST(ReplicaStartupTest, ConcurrentMigrationsApplyEachVersionOnce) {
  auto db = pgtest::ScratchDatabase::Create();
  ASSERT_TRUE(db.ok()) << "the `postgres` ctest fixture must be running: " << db.status();
  // Four `stagecheck migrate` at once on a fresh database, as replicas (or
  // orchestrator jobs) starting together would.
  constexpr int kProcesses = 4;
  std::vector<std::string> outputs(kProcesses);
  std::vector<int> exits(kProcesses, -1);
  std::vector<std::thread> threads;
  for (int i = 0; i < kProcesses; ++i) {
    threads.emplace_back([&, i] {
      const std::string command =
          absl::StrCat("'", STAGECHECK_STAGECHECK_BINARY, "' migrate --db '", db->url(), "' 2>&1");
      FILE* pipe = ::popen(command.c_str(), "r");
      if (pipe == nullptr) return;
      char buffer[512];
      while (size_t n = std::fread(buffer, 1, sizeof(buffer), pipe)) outputs[i].append(buffer, n);
      exits[i] = ::pclose(pipe);
    });
  }
  for (std::thread& t : threads) t.join();
  int from_zero = 0;
  for (int i = 0; i < kProcesses; ++i) {
    EXPECT_EQ(exits[i], 0) << outputs[i];
    if (outputs[i].find(R"("from_version":0,)") != std::string::npos) ++from_zero;
  }
  // The advisory lock lets exactly one of them apply the migrations.
  EXPECT_EQ(from_zero, 1) << outputs[0] << outputs[1] << outputs[2] << outputs[3];
  auto rows = replicas_test::QueryInt(db->url(), "SELECT COUNT(*) FROM schema_migrations");
  auto versions =
      replicas_test::QueryInt(db->url(), "SELECT COUNT(DISTINCT version) FROM schema_migrations");
  ASSERT_TRUE(rows.ok() && versions.ok());
  EXPECT_GE(*rows, 1);
  EXPECT_EQ(*rows, *versions);
}

}  // namespace
}  // namespace stagecheck
