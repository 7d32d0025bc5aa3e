// "A 2xx means on disk": a writer process is killed (SIGKILL) in the middle
// of a stream of transactions; every transaction it saw committed must be in
// the database when it is opened again.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>

#include "adapters/store/open_store.h"
#include "gtest/gtest.h"
#include "tests/support/store/test_store.h"

namespace stagecheck {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

// The child: commit teams t0, t1, ... and report each id after its commit.
[[noreturn]] void WriteUntilKilled(const std::string& db, int report_fd) {
  absl::StatusOr<std::unique_ptr<Store>> store = OpenStore(db, {});
  if (!store.ok()) _exit(2);
  for (int32_t i = 0;; ++i) {
    absl::Status s = (*store)->Transact([&](UnitOfWork& u) {
      return u.InsertTeam(Team{TeamId("t" + std::to_string(i)), "t", std::nullopt, kT0});
    });
    if (!s.ok()) _exit(3);
    if (write(report_fd, &i, sizeof i) != sizeof i) _exit(4);
  }
}

TEST(SqliteDurability, CommittedTransactionsSurviveAKilledProcess) {
  absl::StatusOr<std::unique_ptr<storetest::TestDatabase>> db =
      storetest::TestDatabase::Create("sqlite");
  ASSERT_TRUE(db.ok()) << db.status();
  // Create the schema first so the child only writes.
  ASSERT_TRUE(OpenStore((*db)->db(), {}).ok());
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(fds[0]);
    WriteUntilKilled((*db)->db(), fds[1]);
  }
  close(fds[1]);
  std::set<int32_t> committed;
  int32_t id = 0;
  while (committed.size() < 200 && read(fds[0], &id, sizeof id) == sizeof id) {
    committed.insert(id);
  }
  ASSERT_EQ(kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  close(fds[0]);
  ASSERT_TRUE(WIFSIGNALED(status)) << "writer exited early with " << WEXITSTATUS(status);
  ASSERT_EQ(committed.size(), 200u);

  absl::StatusOr<std::unique_ptr<Store>> store = OpenStore((*db)->db(), {});
  ASSERT_TRUE(store.ok()) << store.status();
  int missing = 0;
  ASSERT_TRUE((*store)
                  ->Transact([&](UnitOfWork& u) -> absl::Status {
                    for (int32_t i : committed) {
                      if (!u.GetTeam(TeamId("t" + std::to_string(i))).ok()) ++missing;
                    }
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(missing, 0);
}

}  // namespace
}  // namespace stagecheck
