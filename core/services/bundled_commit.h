// Bundles: items for one lane of a GroupCommitter written by one piece.
//
// The group commit makes a burst one transaction, but each of its pieces
// still runs its own statements: on PostgreSQL, where every statement is a
// round trip to the server, a burst of webhook deliveries cost one INSERT
// each (issue 21). A bundle lets the items that queue up behind each other
// on a lane be written together (one multi-row INSERT): the first item for
// a lane opens a bundle and submits its piece; items that arrive before
// that piece starts join it; once it starts, the next item opens the next
// bundle. Items of one key stay in the order submitted (one lane, and
// bundles of a lane commit in order).
//
// `write` runs as the bundle's piece (possibly more than once: a batch may
// be run again, so it must start over each time); `answer` runs once, with
// the piece's outcome, when the batch is durable or failed (the items of a
// bundle whose batch failed before its piece ran are answered with that
// failure, as any piece's caller is).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <utility>
#include <vector>

#include "core/services/group_commit.h"

namespace stagecheck {

template <typename Item>
class BundledCommitter {
 public:
  using Write = std::function<absl::Status(UnitOfWork&, std::vector<Item>&)>;
  using Answer = std::function<void(std::vector<Item>&, absl::Status)>;

  // `committer` must outlive this.
  BundledCommitter(GroupCommitter& committer, Write write, Answer answer)
      : committer_(committer),
        write_(std::move(write)),
        answer_(std::move(answer)),
        open_(static_cast<size_t>(committer.lanes())) {}

  // `item` joins the open bundle of `key`'s lane, or opens one. `key` may
  // view into `item` (it is read before `item` is moved): the caller need
  // not copy it.
  void Submit(std::string_view key, Item&& item) {
    const size_t lane = committer_.LaneOf(key);
    std::shared_ptr<Bundle> bundle;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (const std::shared_ptr<Bundle>& open = open_[lane]; open != nullptr) {
        std::lock_guard<std::mutex> joined(open->mu);
        if (!open->closed) {
          open->items.push_back(std::move(item));
          return;
        }
      }
      // Made only for an item that opens a bundle, with room for a burst:
      // an item is moved (not reallocated) into place.
      bundle = std::make_shared<Bundle>();
      bundle->items.reserve(kBundleRoom);
      bundle->items.push_back(std::move(item));
      open_[lane] = bundle;
    }
    committer_.SubmitToLane(
        lane,
        [this, bundle](UnitOfWork& uow) {
          Close(*bundle);
          return write_(uow, bundle->items);
        },
        [this, bundle](absl::Status status) {
          Close(*bundle);  // its batch may have failed before the piece ran
          answer_(bundle->items, std::move(status));
          bundle->items = {};  // the lane may keep the bundle until its next item
        });
  }

 private:
  static constexpr size_t kBundleRoom = 16;
  struct Bundle {
    std::mutex mu;
    bool closed = false;  // the piece started: items are fixed from now on
    std::vector<Item> items;
  };
  static void Close(Bundle& bundle) {
    std::lock_guard<std::mutex> lock(bundle.mu);
    bundle.closed = true;
  }

  GroupCommitter& committer_;
  Write write_;
  Answer answer_;
  std::mutex mu_;
  std::vector<std::shared_ptr<Bundle>> open_;  // per lane; guarded by mu_
};

}  // namespace stagecheck
