#include "plugin/certn/pending_fetches.h"

namespace stagecheck::certn_plugin {

bool PendingFetches::Covers(const CheckId& check, absl::Time received) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = due_.find(check.value());
  return it != due_.end() && received + kMargin < it->second;
}

void PendingFetches::Remember(const CheckId& check, absl::Time run_at, absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  if (due_.size() >= kPruneAbove) {
    for (auto it = due_.begin(); it != due_.end();) {
      it = it->second <= now ? due_.erase(it) : std::next(it);
    }
  }
  due_[check.value()] = run_at;
}

}  // namespace stagecheck::certn_plugin
