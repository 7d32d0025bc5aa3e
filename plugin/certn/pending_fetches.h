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
//
// How long a new fetch waits: a quiet case's fetch waits the base window
// (PluginConfig::fetch_coalesce), long enough for the handful of events
// Certn sends for one change. A case whose deliveries keep coming (a
// redelivery storm, a replay, a load test) would otherwise be fetched once
// a window for as long as they come, each fetch a Certn call against the
// account's rate limit and a write queued behind ingest. So a case is busy
// when the deliveries its last fetch covered were spread over at least half
// of that fetch's wait (not one burst for one change) and another arrives
// within one wait of the last of them; its next fetch then waits twice as
// long, up to fetch_coalesce_max. A case quiet for one wait starts again
// from the base, and changes made one after the other (each burst fetched
// before the next) never make a case busy. Every delivery still has a fetch
// that starts after it arrived: only how soon a busy case's changes show
// moves.
#pragma once

#include <algorithm>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "absl/time/time.h"
#include "core/ids.h"

namespace stagecheck::certn_plugin {

class PendingFetches {
 public:
  static constexpr absl::Duration kMargin = absl::Milliseconds(250);

  // `window`: how long a quiet case's fetch waits; `max_window`: the most a
  // busy case's waits (at least `window`).
  PendingFetches(absl::Duration window, absl::Duration max_window);

  // Whether a fetch of `check` this process committed is still to start
  // well after `received`; if so the delivery is noted among those it covers.
  bool Covers(const CheckId& check, absl::Time received);
  // How long a new fetch of `check`, queued for a delivery received at
  // `received`, waits before it may start.
  absl::Duration WindowFor(const CheckId& check, absl::Time received) const;
  // The fetch of `check`, due at `run_at`, that covers a delivery received
  // at `received`, committed. `window`: the wait it was queued with by this
  // process, or none for a twin found pending (queued elsewhere: its case
  // keeps the window it had). `now` prunes what is neither pending nor
  // busy any more (Fetch::KeptUntil).
  void Remember(const CheckId& check, absl::Time run_at, std::optional<absl::Duration> window,
                absl::Time received, absl::Time now);
  // How many cases are remembered (pruned or not yet).
  size_t size() const;

 private:
  struct Fetch {
    absl::Time run_at;
    absl::Duration window;
    absl::Time first_seen, last_seen;  // of the deliveries it covers
    // Until when it tells anything: it covers deliveries until run_at, and
    // WindowFor reads it until one window after the last delivery it covered.
    absl::Time KeptUntil() const { return std::max(run_at, last_seen + window); }
  };
  // Drops what tells nothing any more once the map has reached prune_at_,
  // then waits for it to double before scanning again: a storm over more
  // live cases than kPruneAbove would otherwise scan the whole map on every
  // delivery's answer. Memory stays within twice the live cases.
  void PruneIfDue(absl::Time now);
  static constexpr size_t kPruneAbove = 4096;
  const absl::Duration window_;
  const absl::Duration max_window_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Fetch> due_;  // check id → its last fetch, guarded by mu_
  size_t prune_at_ = kPruneAbove;               // guarded by mu_
};

}  // namespace stagecheck::certn_plugin
