#include "adapters/store/sqlite/wal_flusher.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/thread_name.h"

namespace stagecheck::store {

WalFlusher::WalFlusher(std::string wal_path, std::function<void()> before_flush, Metrics* metrics)
    : wal_path_(std::move(wal_path)), before_flush_(std::move(before_flush)), metrics_(metrics) {
  for (std::thread& t : threads_) {
    t = std::thread([this] { Run(); });
    NameThread(t, "sc-wal-flush");
  }
}

WalFlusher::~WalFlusher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

bool WalFlusher::OnFlusherThread() const {
  const std::thread::id self = std::this_thread::get_id();
  for (const std::thread& t : threads_) {
    if (t.get_id() == self) return true;
  }
  return false;
}

void WalFlusher::After(std::function<void(absl::Status)> then) {
  if (OnFlusherThread()) {
    // Asked from a flusher's callback: that thread would not flush for it.
    then(Flush());
    return;
  }
  bool flush_running = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    flush_running = flushing_;
    waiting_.push_back(std::move(then));
  }
  cv_.notify_one();
  // The next fsync starts only when the running one ends; the frames just
  // committed can be on their way to the disk meanwhile.
  if (flush_running) StartWriteback();
}

void WalFlusher::StartWriteback() const {
  // A hint, not a promise: what it fails to start, the fdatasync writes.
  // Asynchronous (no SYNC_FILE_RANGE_WAIT_*): the committer does not wait
  // for the disk, and a page already under writeback is left to finish.
  int fd = ::open(wal_path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
  ::close(fd);
}

absl::Status WalFlusher::Sync() {
  bool busy = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    busy = flushing_ || !waiting_.empty();
    if (!busy) flushing_ = true;
  }
  if (busy) return CommitFlusher::Sync();  // the thread's next flush covers this commit
  // The caller's commit returned before this fsync begins.
  const absl::Status flushed = FlushMarked();
  cv_.notify_one();  // waiters queued meanwhile need an fsync of their own
  return flushed;
}

absl::Status WalFlusher::FlushMarked() {
  if (before_flush_) before_flush_();
  const absl::Status flushed = Flush();
  std::lock_guard<std::mutex> lock(mu_);
  flushing_ = false;
  return flushed;
}

void WalFlusher::Run() {
  for (;;) {
    std::vector<std::function<void(absl::Status)>> taken;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return (stopping_ || !waiting_.empty()) && !flushing_; });
      if (waiting_.empty()) return;  // stopping, and everyone answered
      taken.swap(waiting_);
      flushing_ = true;
    }
    // Every taken waiter's commit finished before it was queued, so before
    // the fsync below begins.
    const absl::Status flushed = FlushMarked();
    // The other thread may take the callers queued meanwhile and flush for
    // them while this one answers its own.
    cv_.notify_all();
    for (auto& then : taken) then(flushed);
  }
}

absl::Status WalFlusher::Flush() const {
  int fd = ::open(wal_path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    // No -wal file: the last connection checkpointed it into the database
    // (synced by SQLite) and removed it; nothing is left to flush.
    if (errno == ENOENT) return absl::OkStatus();
    return absl::UnavailableError(
        absl::StrCat("sqlite: cannot open the WAL to flush it: ", std::strerror(errno)));
  }
  const auto started = std::chrono::steady_clock::now();
  const int rc = ::fdatasync(fd);
  const int err = errno;
  if (metrics_ != nullptr) {
    metrics_->Observe(
        kFsyncMetric, "",
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  ::close(fd);
  if (rc != 0) {
    return absl::UnavailableError(
        absl::StrCat("sqlite: fdatasync of the WAL failed: ", std::strerror(err)));
  }
  return absl::OkStatus();
}

}  // namespace stagecheck::store
