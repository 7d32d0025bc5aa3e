#include "plugin/certn/refused_deliveries.h"

#include <utility>

namespace stagecheck::certn_plugin {

void RefusedDeliveries::Record(RefusedDelivery delivery) {
  std::lock_guard<std::mutex> lock(mu_);
  ++total_;
  if (capacity_ == 0) return;
  if (entries_.size() >= capacity_) entries_.pop_front();
  entries_.push_back(std::move(delivery));
}

std::vector<RefusedDelivery> RefusedDeliveries::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return std::vector<RefusedDelivery>(entries_.begin(), entries_.end());
}

uint64_t RefusedDeliveries::total() const {
  std::lock_guard<std::mutex> lock(mu_);
  return total_;
}

}  // namespace stagecheck::certn_plugin
