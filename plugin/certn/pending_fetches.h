// Case fetches this process queued and saw committed, remembered until they
// are due, so that a burst of deliveries for one case writes one work item
// instead of one per delivery (issue 21).
//
// Why skipping is safe: a fetch committed pending with run_at R can be
// claimed only once a worker's clock reaches R (ClaimWork takes run_at <=
// now, and nothing moves a pending fetch earlier). A delivery received at T
// with T + margin < R is therefore covered: the fetch starts after the
// delivery arrived, so it reads the change the delivery announced. The
// margin absorbs clock skew between replicas that share a database. An
// item is remembered only after the transaction that inserted it, or that
// found it pending as a twin (queued by another replica, or before a
// restart), committed.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

#include "absl/time/time.h"
#include "core/ids.h"

namespace stagecheck::certn_plugin {

class PendingFetches {
 public:
  static constexpr absl::Duration kMargin = absl::Milliseconds(250);

  // Whether a fetch of `check` this process committed is still to start
  // well after `received`.
  bool Covers(const CheckId& check, absl::Time received) const;
  // The fetch of `check`, due at `run_at`, committed. `now` prunes what is due.
  void Remember(const CheckId& check, absl::Time run_at, absl::Time now);

 private:
  static constexpr size_t kPruneAbove = 4096;
  mutable std::mutex mu_;
  std::unordered_map<std::string, absl::Time> due_;  // check id → run_at, guarded by mu_
};

}  // namespace stagecheck::certn_plugin
