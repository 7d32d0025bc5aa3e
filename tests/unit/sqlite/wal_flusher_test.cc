// WalFlusher on its own (the store's use of it is in sqlite_durability_test.cc):
// a caller queued while a flush runs is answered by a later flush, never by
// the running one, whether or not the -wal file is there to start writing;
// and a slow answer does not hold the next flush.
#include "adapters/store/sqlite/wal_flusher.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <string>

#include "adapters/store/open_store.h"
#include "core/services/group_commit.h"
#include "gtest/gtest.h"
#include "tests/support/store/test_store.h"

namespace stagecheck::store {
namespace {

// Holds the flusher's first flush (after it took its waiters, before its
// fdatasync) until Release(); later flushes pass.
class HeldFirstFlush {
 public:
  std::function<void()> Hook() {
    return [this] {
      if (flushes_.fetch_add(1) > 0) return;
      entered_.set_value();
      released_.get_future().wait();
    };
  }
  void WaitUntilHeld() { entered_.get_future().wait(); }
  void Release() { released_.set_value(); }
  int flushes() const { return flushes_.load(); }

 private:
  std::atomic<int> flushes_{0};
  std::promise<void> entered_;
  std::promise<void> released_;
};

void Append(const std::string& path, size_t bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  const std::string data(bytes, 'f');
  ASSERT_EQ(::write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
  ::close(fd);
}

class WalFlusherTest : public testing::Test {
 protected:
  void SetUp() override {
    auto dir = storetest::TestDatabase::Create("sqlite");
    ASSERT_TRUE(dir.ok()) << dir.status();
    db_ = *std::move(dir);
    wal_ = db_->db() + "-wal";
  }
  // Queues `first`, waits until its flush is held, then queues a second
  // caller (the frames of a batch committed meanwhile written first when
  // `write_more`) and checks who is answered when.
  void QueueDuringAHeldFlush(bool write_more) {
    HeldFirstFlush held;
    std::promise<absl::Status> first;  // both outlive the flusher's threads
    std::promise<absl::Status> second;
    WalFlusher flusher(wal_, held.Hook());
    flusher.After([&](absl::Status s) { first.set_value(std::move(s)); });
    held.WaitUntilHeld();
    if (write_more) Append(wal_, 64 * 1024);
    flusher.After([&](absl::Status s) { second.set_value(std::move(s)); });
    auto second_answer = second.get_future();
    // Not answered while the flush that began before it is held.
    EXPECT_EQ(second_answer.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
    held.Release();
    EXPECT_TRUE(first.get_future().get().ok());
    EXPECT_TRUE(second_answer.get().ok());
    // The second caller had a flush of its own.
    EXPECT_EQ(held.flushes(), 2);
  }
  std::unique_ptr<storetest::TestDatabase> db_;
  std::string wal_;
};

TEST_F(WalFlusherTest, ACallerQueuedDuringAFlushIsAnsweredByTheNextOne) {
  Append(wal_, 4096);
  QueueDuringAHeldFlush(/*write_more=*/true);
}

TEST_F(WalFlusherTest, ACallerQueuedDuringAFlushWithoutAWalFileIsAnsweredToo) {
  ASSERT_NE(::access(wal_.c_str(), F_OK), 0);  // no -wal: nothing to start writing
  QueueDuringAHeldFlush(/*write_more=*/false);
}

// Answering a flush's callers does not hold the next flush: a caller queued
// while another flush's answer is still running is flushed and answered
// meanwhile (by the flusher's other thread).
TEST_F(WalFlusherTest, ASlowAnswerDoesNotHoldTheNextFlush) {
  Append(wal_, 4096);
  // Declared before the flusher, which outlives none of them: its threads
  // are joined (and done with them) before they go.
  std::promise<void> answering;
  std::promise<void> let_go;
  std::shared_future<void> released = let_go.get_future().share();
  std::promise<absl::Status> second;
  WalFlusher flusher(wal_);
  flusher.After([&](absl::Status s) {
    EXPECT_TRUE(s.ok()) << s;
    answering.set_value();
    released.wait();
  });
  answering.get_future().wait();  // the first flush is done and its answer running
  Append(wal_, 4096);
  flusher.After([&](absl::Status s) { second.set_value(std::move(s)); });
  auto second_answer = second.get_future();
  // A bound for the failure message only: one thread would wait forever.
  const bool answered =
      second_answer.wait_for(std::chrono::seconds(30)) == std::future_status::ready;
  let_go.set_value();
  ASSERT_TRUE(answered) << "the second caller waited for the first one's answer";
  EXPECT_TRUE(second_answer.get().ok());
}

// The names of this process's threads, as `top -H` shows them.
std::set<std::string> ThreadNames() {
  std::set<std::string> names;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    if (std::getline(comm, name)) names.insert(name);
  }
  return names;
}

TEST_F(WalFlusherTest, TheStoresThreadsAndACommittersLaneAreNamed) {
  absl::StatusOr<std::unique_ptr<Store>> store = OpenStore(db_->db(), {});
  ASSERT_TRUE(store.ok()) << store.status();
  GroupCommitter committer(**store);
  // Named by the thread that started them: no waiting for them to run.
  const std::set<std::string> names = ThreadNames();
  EXPECT_TRUE(names.count("sc-wal-flush")) << "no WAL flusher thread";
  EXPECT_TRUE(names.count("sc-checkpoint")) << "no checkpointer thread";
  EXPECT_TRUE(names.count("sc-commit")) << "no committer thread";
}

}  // namespace
}  // namespace stagecheck::store
