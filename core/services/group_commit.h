// Group commit: the writes of concurrent requests (webhook deliveries) are
// batched into one transaction, each in its own savepoint, and each caller is
// told its outcome only after the batch has committed. One fsync serves many
// requests, which is what lets the webhook keep up with bursts.
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

  // `done` runs on the committer's thread after the batch holding `work`
  // committed (OK or the piece's own error) or failed (the commit's error).
  void Submit(Work work, Done done);

 private:
  void Run();

  Store& store_;
  const size_t max_batch_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<Work, Done>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace stagecheck
