#include "core/services/group_commit.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "core/thread_name.h"

namespace stagecheck {

namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

GroupCommitter::GroupCommitter(Store& store, size_t max_batch, int lanes, Metrics* metrics)
    : store_(store),
      max_batch_(std::max<size_t>(max_batch, 1)),
      metrics_(metrics != nullptr ? *metrics : null_metrics_) {
  const int n = std::max(lanes, 1);
  for (int i = 0; i < n; ++i) lanes_.push_back(std::make_unique<Lane>());
  for (int i = 0; i < n; ++i) {
    Lane& lane = *lanes_[i];
    lane.thread = std::thread([this, &lane] { Run(lane); });
    NameThread(lane.thread, n == 1 ? std::string("sc-commit") : absl::StrCat("sc-commit-", i + 1));
  }
}

GroupCommitter::~GroupCommitter() {
  for (auto& lane : lanes_) {
    {
      std::lock_guard<std::mutex> lock(lane->mu);
      lane->stopping = true;
    }
    lane->cv.notify_all();
  }
  for (auto& lane : lanes_) lane->thread.join();
  // Every caller is answered before the committer goes away.
  std::unique_lock<std::mutex> lock(flush_mu_);
  flush_cv_.wait(lock, [&] { return awaiting_flush_ == 0; });
}

void GroupCommitter::Submit(Work work, Done done) {
  // The least busy lane, searched from a rotating start so that idle lanes
  // take turns.
  const size_t n = lanes_.size();
  const size_t start = next_.fetch_add(1, std::memory_order_relaxed);
  Lane* best = lanes_[start % n].get();
  for (size_t i = 1; i < n && best->load.load(std::memory_order_relaxed) > 0; ++i) {
    Lane* lane = lanes_[(start + i) % n].get();
    if (lane->load.load(std::memory_order_relaxed) < best->load.load(std::memory_order_relaxed))
      best = lane;
  }
  Enqueue(*best, std::move(work), std::move(done));
}

size_t GroupCommitter::LaneOf(std::string_view key) const {
  return absl::HashOf(key) % lanes_.size();
}

void GroupCommitter::Submit(std::string_view key, Work work, Done done) {
  SubmitToLane(LaneOf(key), std::move(work), std::move(done));
}

void GroupCommitter::SubmitToLane(size_t lane, Work work, Done done) {
  Enqueue(*lanes_.at(lane), std::move(work), std::move(done));
}

void GroupCommitter::Enqueue(Lane& lane, Work work, Done done) {
  lane.load.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(lane.mu);
    lane.queue.emplace_back(std::move(work), std::move(done));
  }
  lane.cv.notify_one();
}

void GroupCommitter::Run(Lane& lane) {
  for (;;) {
    std::vector<std::pair<Work, Done>> batch;
    {
      std::unique_lock<std::mutex> lock(lane.mu);
      lane.cv.wait(lock, [&] { return lane.stopping || !lane.queue.empty(); });
      if (lane.queue.empty()) return;  // stopping and drained
      while (!lane.queue.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(lane.queue.front()));
        lane.queue.pop_front();
      }
    }
    std::vector<Work> pieces;
    pieces.reserve(batch.size());
    for (auto& [work, _] : batch) pieces.push_back(std::move(work));
    const auto started = std::chrono::steady_clock::now();
    std::vector<absl::Status> results = store_.TransactBatch(pieces);
    metrics_.Observe(kBatchPiecesMetric, "", static_cast<double>(pieces.size()));
    metrics_.Observe(kBatchSecondsMetric, "", SecondsSince(started));
    Answer(std::move(batch), std::move(results), lane);
  }
}

void GroupCommitter::Answer(std::vector<std::pair<Work, Done>> batch,
                            std::vector<absl::Status> results, Lane& lane) {
  {
    std::lock_guard<std::mutex> lock(flush_mu_);
    ++awaiting_flush_;
  }
  const int size = static_cast<int>(batch.size());
  auto answer = std::make_shared<std::pair<decltype(batch), std::vector<absl::Status>>>(
      std::move(batch), std::move(results));
  const auto committed = std::chrono::steady_clock::now();
  store_.WhenDurable([this, answer, size, &lane, committed](absl::Status flushed) {
    metrics_.Observe(kDurableWaitMetric, "", SecondsSince(committed));
    auto& [callers, statuses] = *answer;
    for (size_t i = 0; i < callers.size(); ++i) {
      absl::Status result =
          i < statuses.size() ? statuses[i] : absl::InternalError("batch result missing");
      // A piece that failed wrote nothing; one that committed is only
      // acknowledged once flushed.
      callers[i].second(result.ok() ? flushed : result);
    }
    lane.load.fetch_sub(size, std::memory_order_relaxed);
    std::lock_guard<std::mutex> lock(flush_mu_);
    --awaiting_flush_;
    flush_cv_.notify_all();  // under the lock: the destructor may be waiting for this
  });
}

}  // namespace stagecheck
