#include "core/services/group_commit.h"

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
    std::vector<absl::Status> results = store_.TransactBatch(pieces);
    for (size_t i = 0; i < batch.size(); ++i) {
      batch[i].second(i < results.size() ? results[i]
                                         : absl::InternalError("batch result missing"));
    }
  }
}

}  // namespace stagecheck
