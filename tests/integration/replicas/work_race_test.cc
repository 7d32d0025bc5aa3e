// Durable work on one PostgreSQL shared by two replicas: enqueueing a job
// whose pending twin another replica is completing at that moment must never
// fail (it used to fail with "work item already exists", which turned a
// webhook delivery into a spurious 503 under load).
#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "adapters/store/open_store.h"
#include "core/ports/store.h"
#include "core/services/deps.h"
#include "gtest/gtest.h"
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
      absl::StatusOr<std::vector<WorkItem>> claimed = InTransaction<std::vector<WorkItem>>(b, [&](UnitOfWork& uow) {
        return uow.ClaimWork(absl::Now(), "replica-b", absl::Now() + absl::Minutes(2), 16);
      });
      if (!claimed.ok()) continue;
      for (const WorkItem& item : *claimed) {
        if (b.Transact([&](UnitOfWork& uow) { return uow.CompleteWork(item.team, item.id); }).ok()) ++completed;
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

}  // namespace
}  // namespace stagecheck
