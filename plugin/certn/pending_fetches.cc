#include "plugin/certn/pending_fetches.h"

#include <algorithm>

namespace stagecheck::certn_plugin {

PendingFetches::PendingFetches(absl::Duration window, absl::Duration max_window)
    : window_(window), max_window_(std::max(window, max_window)) {}

bool PendingFetches::Covers(const CheckId& check, absl::Time received) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = due_.find(check.value());
  if (it == due_.end() || received + kMargin >= it->second.run_at) return false;
  it->second.last_seen = std::max(it->second.last_seen, received);
  return true;
}

absl::Duration PendingFetches::WindowFor(const CheckId& check, absl::Time received) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = due_.find(check.value());
  if (it == due_.end()) return window_;
  const Fetch& last = it->second;
  const bool kept_coming = last.last_seen - last.first_seen >= last.window / 2;
  // The last fetch may start late (a backlog of work): the gap is measured
  // from the last delivery it covered.
  const bool busy = kept_coming && received < last.last_seen + last.window;
  return busy ? std::min(max_window_, std::max(window_, 2 * last.window)) : window_;
}

void PendingFetches::Remember(const CheckId& check, absl::Time run_at,
                              std::optional<absl::Duration> window, absl::Time received,
                              absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  PruneIfDue(now);
  if (window) {  // a fetch this process queued: the deliveries it covers start with this one
    due_.insert_or_assign(check.value(), Fetch{run_at, *window, received, received});
    return;
  }
  // A twin: the store's run_at (which keeps microseconds only, so it is not
  // compared with ours), covering one more delivery; a case not seen yet
  // keeps the base window.
  auto [it, added] = due_.try_emplace(check.value(), Fetch{run_at, window_, received, received});
  if (added) return;
  Fetch& f = it->second;
  f.run_at = run_at;
  f.first_seen = std::min(f.first_seen, received);
  f.last_seen = std::max(f.last_seen, received);
}

void PendingFetches::PruneIfDue(absl::Time now) {
  if (due_.size() < prune_at_) return;
  for (auto it = due_.begin(); it != due_.end();) {
    it = it->second.KeptUntil() <= now ? due_.erase(it) : std::next(it);
  }
  prune_at_ = std::max(kPruneAbove, 2 * due_.size());
}

size_t PendingFetches::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return due_.size();
}

}  // namespace stagecheck::certn_plugin
