// Group commit: the writes of concurrent requests (webhook deliveries, the
// worker's claims and outcomes) are batched into one transaction, and each
// caller is told its outcome only once the batch is committed and durable
// (Store::WhenDurable). One fsync serves many requests, which is what lets
// the webhook keep up with bursts; where the store flushes apart from its
// commits, the next batch is written while the last one is being flushed.
//
// Lanes: a committer has one or more lanes, each a queue with its own thread
// (and, through the store's pool, its own connection) committing its batches
// one after the other. On PostgreSQL, which does its own group commit of
// concurrent transactions, several lanes commit at once; on SQLite (one
// writer) one lane is all there is to gain. Pieces submitted with the same
// key always go to the same lane: they commit in the order submitted and
// never in two transactions at once, so pieces about one subject (a case's
// deliveries and its fetch) do not wait on each other's row locks across
// lanes. Pieces of different lanes may conflict like any concurrent
// transactions (as on several replicas): a deadlock or serialization
// failure is retried by Store::TransactBatch.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "core/ports/store.h"
#include "core/ports/telemetry.h"

namespace stagecheck {

class GroupCommitter {
 public:
  using Work = std::function<absl::Status(UnitOfWork&)>;
  using Done = std::function<void(absl::Status)>;

  // Histograms it observes (docs/operations.md, "Health and metrics"): each
  // batch's pieces, the time to write and commit it, and the time from its
  // commit until the store said it is durable (SQLite's WAL flush; about
  // nothing where the commit itself flushes).
  static constexpr std::string_view kBatchPiecesMetric = "stagecheck_commit_batch_pieces";
  static constexpr std::string_view kBatchSecondsMetric = "stagecheck_commit_batch_seconds";
  static constexpr std::string_view kDurableWaitMetric = "stagecheck_commit_durable_wait_seconds";

  // `lanes` is clamped to at least 1. `metrics`: none observed when null.
  explicit GroupCommitter(Store& store, size_t max_batch = 256, int lanes = 1,
                          Metrics* metrics = nullptr);
  ~GroupCommitter();  // commits what is queued, then stops
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // `done` runs once the batch holding `work` committed and is durable (OK
  // or the piece's own error) or failed (the commit's or the flush's error),
  // on a committer's thread or the store's flusher. Without a key the piece
  // goes to the least busy lane.
  void Submit(Work work, Done done);
  // The same, on the lane of `key` (see above).
  void Submit(std::string_view key, Work work, Done done);

  int lanes() const { return static_cast<int>(lanes_.size()); }
  // The lane pieces submitted with `key` go to.
  size_t LaneOf(std::string_view key) const;
  // The same as Submit(key, ...) with `lane` = LaneOf(key).
  void SubmitToLane(size_t lane, Work work, Done done);

 private:
  struct Lane {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::pair<Work, Done>> queue;
    std::atomic<int> load{0};  // queued plus being committed
    bool stopping = false;
    std::thread thread;
  };
  void Enqueue(Lane& lane, Work work, Done done);
  void Run(Lane& lane);
  // Answers a committed batch's callers once it is durable.
  void Answer(std::vector<std::pair<Work, Done>> batch, std::vector<absl::Status> results,
              Lane& lane);

  Store& store_;
  const size_t max_batch_;
  NullMetrics null_metrics_;
  Metrics& metrics_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  std::atomic<size_t> next_{0};  // where the search for the least busy lane starts
  std::mutex flush_mu_;
  std::condition_variable flush_cv_;
  int awaiting_flush_ = 0;  // batches committed whose callers are not answered yet
};

}  // namespace stagecheck
