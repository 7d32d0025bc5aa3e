// Durability apart from the commit, for SQLite in WAL mode with
// synchronous=NORMAL (issue 21): a commit appends its frames to the -wal file
// without an fsync, and this thread fdatasyncs that file for every commit
// that finished before the fsync began. The store answers a Transact, and a
// group committer its callers, only after such an fsync: as durable as
// synchronous=FULL for everything acknowledged (docs/performance.md), while
// the writer goes on with the next transaction during the flush.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "adapters/store/sql/sql_store.h"
#include "core/ports/telemetry.h"

namespace stagecheck::store {

// Two threads take turns: while one answers the callers of its flush (the
// webhook's answers, the worker's outcomes: CPU work), the other can already
// run the next fdatasync (waiting on the disk), so answering never delays the
// next flush. Still one fdatasync at a time, each for every commit that
// finished before it began.
class WalFlusher final : public CommitFlusher {
 public:
  // How long each fdatasync of the WAL took: the disk's part of the wait
  // from commit to answer (stagecheck_commit_durable_wait_seconds).
  static constexpr std::string_view kFsyncMetric = "stagecheck_wal_fsync_seconds";

  // `wal_path`: the database's -wal file. `before_flush` (tests only) runs
  // on the flusher's thread after it took its waiters, before the fsync.
  // `metrics` (may be null) receives kFsyncMetric.
  explicit WalFlusher(std::string wal_path, std::function<void()> before_flush = nullptr,
                      Metrics* metrics = nullptr);
  ~WalFlusher() override;  // flushes for, and answers, every waiter; then stops
  WalFlusher(const WalFlusher&) = delete;
  WalFlusher& operator=(const WalFlusher&) = delete;

  // While a flush runs, the caller also starts the writeback of the frames
  // committed since (sync_file_range), so that the next fdatasync, which
  // must wait for the running one, finds most of them written already.
  void After(std::function<void(absl::Status)> then) override;
  // When no flush is running or queued, the caller fsyncs itself: a lone
  // API write (a send) skips two thread wake-ups on its way to the answer.
  // Otherwise it waits for the thread's next flush, shared with the others.
  absl::Status Sync() override;

 private:
  void Run();
  bool OnFlusherThread() const;
  absl::Status Flush() const;
  // Starts writing the WAL's dirty pages to the disk without waiting.
  void StartWriteback() const;
  // The fsync for which the caller set flushing_ (the test hook first); clears it.
  absl::Status FlushMarked();

  const std::string wal_path_;
  const std::function<void()> before_flush_;
  Metrics* const metrics_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::function<void(absl::Status)>> waiting_;  // guarded by mu_
  bool flushing_ = false;  // guarded by mu_: a flush runs (this thread's or a caller's)
  bool stopping_ = false;
  std::thread threads_[2];
};

}  // namespace stagecheck::store
