// Group commit: the writes of concurrent requests (webhook deliveries, the
// worker's claims and outcomes) are batched into one transaction, and each
// caller is told its outcome only once the batch is committed and durable
// (Store::WhenDurable). One fsync serves many requests, which is what lets
// the webhook keep up with bursts; where the store flushes apart from its
// commits, the next batch is written while the last one is being flushed.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "core/ports/store.h"

namespace stagecheck {

class GroupCommitter {
 public:
  using Work = std::function<absl::Status(UnitOfWork&)>;
  using Done = std::function<void(absl::Status)>;

  explicit GroupCommitter(Store& store, size_t max_batch = 256);
  ~GroupCommitter();  // commits what is queued, then stops
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // `done` runs once the batch holding `work` committed and is durable (OK
  // or the piece's own error) or failed (the commit's or the flush's error),
  // on the committer's thread or the store's flusher.
  void Submit(Work work, Done done);

 private:
  void Run();

  Store& store_;
  const size_t max_batch_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<Work, Done>> queue_;
  bool stopping_ = false;
  int awaiting_flush_ = 0;  // batches committed whose callers are not answered yet
  std::thread thread_;
};

}  // namespace stagecheck
