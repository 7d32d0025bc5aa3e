#include "core/services/group_commit.h"

#include <memory>
#include <utility>

namespace stagecheck {

GroupCommitter::GroupCommitter(Store& store, size_t max_batch)
    : store_(store), max_batch_(max_batch), thread_([this] { Run(); }) {}

GroupCommitter::~GroupCommitter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  // Every caller is answered before the committer goes away.
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return awaiting_flush_ == 0; });
}

void GroupCommitter::Submit(Work work, Done done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.emplace_back(std::move(work), std::move(done));
  }
  cv_.notify_one();
}

void GroupCommitter::Run() {
  for (;;) {
    std::vector<std::pair<Work, Done>> batch;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    std::vector<Work> pieces;
    pieces.reserve(batch.size());
    for (auto& [work, _] : batch) pieces.push_back(std::move(work));
    auto answer = std::make_shared<std::pair<decltype(batch), std::vector<absl::Status>>>(
        std::move(batch), store_.TransactBatch(pieces));
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++awaiting_flush_;
    }
    store_.WhenDurable([this, answer](absl::Status flushed) {
      auto& [callers, results] = *answer;
      for (size_t i = 0; i < callers.size(); ++i) {
        absl::Status result =
            i < results.size() ? results[i] : absl::InternalError("batch result missing");
        // A piece that failed wrote nothing; one that committed is only
        // acknowledged once flushed.
        callers[i].second(result.ok() ? flushed : result);
      }
      std::lock_guard<std::mutex> lock(mu_);
      --awaiting_flush_;
      cv_.notify_all();  // under the lock: the destructor may be waiting for this
    });
  }
}

}  // namespace stagecheck
