// "A 2xx means on disk": a writer process is killed (SIGKILL) in the middle
// of a stream of transactions; every transaction it saw committed must be in
// the database when it is opened again. Commits do not fsync (WAL,
// synchronous=NORMAL); the store's WAL flusher does, and nothing is
// acknowledged before it did (issue 21): also killed between the two.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <set>
#include <thread>
#include <vector>

#include "adapters/store/open_store.h"
#include "adapters/store/sqlite/sqlite_store.h"
#include "core/services/group_commit.h"
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

// The child: group-commits teams g0, g1, ... and reports each id once its
// caller is answered (the 2xx). Its 5th flush never happens: the child
// reports -1 there, between that batch's commit and its fdatasync, and waits
// to be killed while the committer goes on committing further batches.
[[noreturn]] void GroupCommitUntilKilledBeforeAFlush(const std::string& db, int report_fd) {
  std::atomic<int> flushes{0};
  store::SqliteOptions options;
  options.before_flush = [&] {
    if (++flushes < 5) return;
    const int32_t paused = -1;
    if (write(report_fd, &paused, sizeof paused) != sizeof paused) _exit(4);
    for (;;) pause();
  };
  absl::StatusOr<std::unique_ptr<Store>> store = store::OpenSqliteStore(db, options);
  if (!store.ok()) _exit(2);
  GroupCommitter committer(**store);
  for (int32_t i = 0; i < 1'000'000; ++i) {
    committer.Submit(
        [i](UnitOfWork& u) {
          return u.InsertTeam(Team{TeamId("g" + std::to_string(i)), "g", std::nullopt, kT0});
        },
        [i, report_fd](absl::Status s) {
          if (!s.ok()) _exit(3);
          if (write(report_fd, &i, sizeof i) != sizeof i) _exit(4);
        });
    if (i % 16 == 15) usleep(200);  // batches of a few pieces, as under load
  }
  for (;;) pause();
}

int64_t CountTeams(Store& store, const std::string& prefix, int32_t up_to,
                   const std::set<int32_t>& must_have, int& missing) {
  int64_t present = 0;
  EXPECT_TRUE(store
                  .Transact([&](UnitOfWork& u) -> absl::Status {
                    for (int32_t i = 0; i <= up_to; ++i) {
                      const bool found = u.GetTeam(TeamId(prefix + std::to_string(i))).ok();
                      present += found ? 1 : 0;
                      if (!found && must_have.count(i) > 0) ++missing;
                    }
                    return absl::OkStatus();
                  })
                  .ok());
  return present;
}

// A migrated test database, and a writer process on it that the test kills.
class SqliteDurability : public testing::Test {
 protected:
  void SetUp() override {
    // The schema first, so that the child only writes.
    auto db = storetest::TestDatabase::Create("sqlite");
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    ASSERT_TRUE(OpenStore(db_->db(), {}).ok());
  }
  // Forks a child running `writer(db, report_fd)`; its reports come on reports_.
  void StartWriter(void (*writer)(const std::string&, int)) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_ = fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      close(fds[0]);
      writer(db_->db(), fds[1]);
      _exit(0);
    }
    close(fds[1]);
    reports_ = fds[0];
  }
  // SIGKILLs the writer, which must not have ended by itself.
  void KillWriter() {
    ASSERT_EQ(kill(pid_, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid_, &status, 0), pid_);
    ASSERT_TRUE(WIFSIGNALED(status)) << "writer exited early with " << WEXITSTATUS(status);
  }
  std::unique_ptr<Store> Reopen() {
    absl::StatusOr<std::unique_ptr<Store>> store = OpenStore(db_->db(), {});
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  std::unique_ptr<storetest::TestDatabase> db_;
  pid_t pid_ = -1;
  int reports_ = -1;
};

TEST_F(SqliteDurability, CommittedTransactionsSurviveAKilledProcess) {
  StartWriter(WriteUntilKilled);
  std::set<int32_t> committed;
  int32_t id = 0;
  while (committed.size() < 200 && read(reports_, &id, sizeof id) == sizeof id) {
    committed.insert(id);
  }
  KillWriter();
  close(reports_);
  ASSERT_EQ(committed.size(), 200u);

  std::unique_ptr<Store> store = Reopen();
  ASSERT_NE(store, nullptr);
  int missing = 0;
  CountTeams(*store, "t", *committed.rbegin(), committed, missing);
  EXPECT_EQ(missing, 0);
}

TEST_F(SqliteDurability, AcknowledgedBatchesSurviveAKillBetweenCommitAndFlush) {
  StartWriter(GroupCommitUntilKilledBeforeAFlush);
  // Answers come from the flusher's threads, one of which reports -1 when it
  // stalls before its fsync; the other may still be answering the callers of
  // the flush before, whose fsync is done. Every id read was answered.
  std::set<int32_t> acknowledged;
  int32_t id = 0;
  bool paused = false;
  while (read(reports_, &id, sizeof id) == sizeof id) {
    if (id == -1) {
      paused = true;
      break;
    }
    acknowledged.insert(id);
  }
  ASSERT_TRUE(paused) << "the writer ended before its 5th flush";
  KillWriter();
  while (read(reports_, &id, sizeof id) == sizeof id) acknowledged.insert(id);
  close(reports_);
  ASSERT_FALSE(acknowledged.empty());

  std::unique_ptr<Store> store = Reopen();
  ASSERT_NE(store, nullptr);
  int missing = 0;
  const int64_t present =
      CountTeams(*store, "g", *acknowledged.rbegin() + 100'000, acknowledged, missing);
  EXPECT_EQ(missing, 0) << "acknowledged but lost";
  // The stalled flush held committed, unacknowledged batches: the kill did
  // fall between a commit and its flush.
  EXPECT_GT(present, static_cast<int64_t>(acknowledged.size()));
}

// In one process: a committed batch's callers are not answered while its
// flush has not happened, and are answered once it has.
TEST_F(SqliteDurability, AGroupCommitIsAnsweredOnlyAfterItsFlush) {
  std::promise<void> reached;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> hold{false};
  store::SqliteOptions options;
  options.before_flush = [&] {
    if (!hold.exchange(false)) return;
    reached.set_value();
    released.wait();
  };
  absl::StatusOr<std::unique_ptr<Store>> store = store::OpenSqliteStore(db_->db(), options);
  ASSERT_TRUE(store.ok()) << store.status();
  GroupCommitter committer(**store);
  hold = true;
  std::promise<absl::Status> answered;
  committer.Submit(
      [](UnitOfWork& u) {
        return u.InsertTeam(Team{TeamId("held"), "h", std::nullopt, kT0});
      },
      [&](absl::Status s) { answered.set_value(s); });
  std::future<absl::Status> answer = answered.get_future();
  reached.get_future().wait();  // committed; its flush is held
  EXPECT_EQ(answer.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
  // Committed already: another connection reads it before the flush.
  EXPECT_TRUE(
      (*store)->Read([](UnitOfWork& u) { return u.GetTeam(TeamId("held")).status(); }).ok());
  release.set_value();
  EXPECT_TRUE(answer.get().ok());
}

// A lone write (a send from the API) fsyncs on its own thread: no flush was
// running or queued, so it skips the hand-over to the flusher and back.
TEST_F(SqliteDurability, ALoneTransactFlushesOnTheCallersThread) {
  std::vector<std::thread::id> flushed_on;
  store::SqliteOptions options;
  options.before_flush = [&] { flushed_on.push_back(std::this_thread::get_id()); };
  absl::StatusOr<std::unique_ptr<Store>> store = store::OpenSqliteStore(db_->db(), options);
  ASSERT_TRUE(store.ok()) << store.status();
  flushed_on.clear();  // whatever opening the store wrote
  ASSERT_TRUE((*store)
                  ->Transact([](UnitOfWork& u) {
                    return u.InsertTeam(Team{TeamId("lone"), "l", std::nullopt, kT0});
                  })
                  .ok());
  ASSERT_EQ(flushed_on.size(), 1u);
  EXPECT_EQ(flushed_on[0], std::this_thread::get_id());
}

}  // namespace
}  // namespace stagecheck
