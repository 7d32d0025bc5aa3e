// Holds one lane of a GroupCommitter busy until released: the lane's thread
// runs a piece that waits, so that whatever is submitted for the lane
// meanwhile queues up behind it (to test what a busy lane does with them,
// without sleeping).
#pragma once

#include <future>
#include <string_view>

#include "core/services/group_commit.h"

namespace stagecheck::storetest {

class LaneGate {
 public:
  // Returns once the lane of `key` runs the waiting piece.
  LaneGate(GroupCommitter& committer, std::string_view key) {
    committer.Submit(
        key,
        [this](UnitOfWork&) {
          started_.set_value();
          release_.get_future().wait();
          return absl::OkStatus();
        },
        [this](absl::Status s) { done_.set_value(s); });
    started_.get_future().wait();
  }
  LaneGate(const LaneGate&) = delete;
  LaneGate& operator=(const LaneGate&) = delete;

  // Lets the lane go on; returns the waiting piece's answer.
  absl::Status Release() {
    release_.set_value();
    return done_.get_future().get();
  }

 private:
  std::promise<void> started_;
  std::promise<void> release_;
  std::promise<absl::Status> done_;
};

}  // namespace stagecheck::storetest
