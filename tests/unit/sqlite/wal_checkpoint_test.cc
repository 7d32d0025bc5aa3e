// The WAL is checkpointed by a thread of the store, never inside a commit
// (adapters/store/sqlite/wal_checkpointer.h): commits go on while a
// checkpoint is held up, and a WAL that a busy writer keeps growing is still
// brought to its end and started again.
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <thread>

#include "adapters/store/sqlite/sqlite_store.h"
#include "gtest/gtest.h"
#include "tests/support/store/test_store.h"

namespace stagecheck {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);
constexpr int64_t kFrameBytes = 4096 + 24;  // a 4 KiB page and its frame header

int64_t FileSize(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : -1;
}

// One transaction inserting `n` teams named prefix0, prefix1, ...
absl::Status InsertTeams(Store& store, const std::string& prefix, int n) {
  return store.Transact([&](UnitOfWork& u) -> absl::Status {
    for (int i = 0; i < n; ++i) {
      absl::Status s = u.InsertTeam(
          Team{TeamId(prefix + std::to_string(i)), std::string(1000, 'x'), std::nullopt, kT0});
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  });
}

class SqliteCheckpoints : public testing::Test {
 protected:
  void SetUp() override {
    auto db = storetest::TestDatabase::Create("sqlite");
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
  }
  std::string Wal() const { return db_->db() + "-wal"; }

  std::unique_ptr<storetest::TestDatabase> db_;
};

// SQLite's own checkpoint would run in the commit that takes the WAL past
// 1000 frames, and the next commit would start the WAL again from its
// beginning. With the checkpointer held, the WAL grows well past that while
// commits go on; once let go, the checkpointer copies it all, and the next
// commit restarts the WAL and trims it to the size limit.
TEST_F(SqliteCheckpoints, CommitsGoOnWhileACheckpointIsHeldAndTheWalRestartsAfterIt) {
  std::promise<void> held;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> first{true};
  std::promise<void> caught_up;
  std::atomic<bool> caught_up_set{false};
  store::SqliteOptions options;
  options.checkpoints.start_frames = 50;
  options.checkpoints.catch_up_frames = 100;
  options.checkpoints.before_pass = [&] {
    if (!first.exchange(false)) return;
    held.set_value();
    released.wait();
  };
  options.checkpoints.after_pass = [&](int frames, int copied, bool) {
    if (frames > 0 && copied == frames && !caught_up_set.exchange(true)) caught_up.set_value();
  };
  absl::StatusOr<std::unique_ptr<Store>> store = store::OpenSqliteStore(db_->db(), options);
  ASSERT_TRUE(store.ok()) << store.status();

  int batches = 0;
  for (; batches < 400 && FileSize(Wal()) < 1500 * kFrameBytes; ++batches) {
    ASSERT_TRUE(InsertTeams(**store, "b" + std::to_string(batches) + "-", 40).ok());
  }
  ASSERT_EQ(held.get_future().wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_GE(FileSize(Wal()), 1500 * kFrameBytes) << "after " << batches << " transactions";

  release.set_value();
  ASSERT_EQ(caught_up.get_future().wait_for(std::chrono::seconds(60)), std::future_status::ready);
  ASSERT_TRUE(InsertTeams(**store, "after-", 1).ok());
  // journal_size_limit: twice catch_up_frames.
  EXPECT_LE(FileSize(Wal()), 2 * 100 * kFrameBytes);

  // Nothing was lost on the way: every team is there.
  store->reset();
  absl::StatusOr<std::unique_ptr<Store>> reopened = store::OpenSqliteStore(db_->db(), {});
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  ASSERT_TRUE((*reopened)
                  ->Read([&](UnitOfWork& u) -> absl::Status {
                    for (int b = 0; b < batches; ++b) {
                      for (int i : {0, 39}) {
                        const std::string id = "b" + std::to_string(b) + "-" + std::to_string(i);
                        EXPECT_TRUE(u.GetTeam(TeamId(id)).ok()) << id;
                      }
                    }
                    return u.GetTeam(TeamId("after-0")).status();
                  })
                  .ok());
}

// A writer that never pauses: each of its transactions begins before a
// passive checkpoint has copied the last one, so the WAL would never start
// again from its beginning (it grew for as long as the writer wrote, before
// the pass under the writer lock). With it, the WAL restarts while the
// writer goes on: a pass finds fewer frames than an earlier one.
TEST_F(SqliteCheckpoints, AWalKeptGrowingByABusyWriterStillStartsAgain) {
  std::promise<void> restarted;
  std::atomic<bool> restarted_set{false};
  std::atomic<int> longest{0};
  std::atomic<int> under_lock{0};
  store::SqliteOptions options;
  options.checkpoints.start_frames = 20;
  options.checkpoints.catch_up_frames = 60;
  options.checkpoints.after_pass = [&](int frames, int, bool under_writer_lock) {
    if (under_writer_lock) ++under_lock;
    if (frames >= 0 && frames < longest && !restarted_set.exchange(true)) restarted.set_value();
    if (frames > longest) longest = frames;
  };
  absl::StatusOr<std::unique_ptr<Store>> store = store::OpenSqliteStore(db_->db(), options);
  ASSERT_TRUE(store.ok()) << store.status();
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::thread writer([&] {
    for (int b = 0; !stop && b < 100'000; ++b) {
      if (!InsertTeams(**store, "w" + std::to_string(b) + "-", 10).ok()) return;
      ++written;
    }
  });
  const std::future_status status = restarted.get_future().wait_for(std::chrono::seconds(60));
  stop = true;
  writer.join();
  ASSERT_EQ(status, std::future_status::ready)
      << written << " transactions written, longest WAL " << longest << " frames";
  EXPECT_GT(under_lock.load(), 0);
  // The WAL stayed near the catch-up point (60 frames; a starved thread on
  // a loaded machine may pass a few later), not the length of the whole run.
  EXPECT_LT(longest.load(), 4000);
}

// Writes now and then (a send, an admin's change): each pass finds every
// frame copied and the writer idle, and restarts the WAL at once, so the WAL
// file stays the length of one round of writes instead of growing until
// catch_up_frames (here never reached).
TEST_F(SqliteCheckpoints, AWalWrittenNowAndThenStartsAgainAfterEachPass) {
  std::mutex mu;
  std::condition_variable cv;
  int restarts = 0;
  store::SqliteOptions options;
  options.checkpoints.start_frames = 50;
  options.checkpoints.catch_up_frames = 1'000'000;
  options.checkpoints.after_pass = [&](int frames, int copied, bool under_writer_lock) {
    if (!under_writer_lock || frames <= 0 || copied != frames) return;
    std::lock_guard<std::mutex> lock(mu);
    ++restarts;
    cv.notify_all();
  };
  absl::StatusOr<std::unique_ptr<Store>> store = store::OpenSqliteStore(db_->db(), options);
  ASSERT_TRUE(store.ok()) << store.status();
  int64_t first_round = 0;
  for (int round = 0; round < 10; ++round) {
    int seen = 0;
    {
      std::lock_guard<std::mutex> lock(mu);
      seen = restarts;
    }
    // One transaction past start_frames (~60 frames); the pass it starts
    // finds the writer idle, as this thread waits.
    ASSERT_TRUE(InsertTeams(**store, "r" + std::to_string(round) + "-", 200).ok());
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return restarts > seen; }))
        << "round " << round;
    if (round == 0) first_round = FileSize(Wal());
  }
  // Without the restarts the WAL would hold all ten rounds.
  EXPECT_LE(FileSize(Wal()), 2 * first_round);
}

}  // namespace
}  // namespace stagecheck
