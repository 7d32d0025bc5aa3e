#include "plugin/certn/refused_deliveries.h"

#include <utility>

namespace stagecheck::certn_plugin {
namespace {

int64_t UnixMinute(absl::Time t) { return absl::ToUnixSeconds(t) / 60; }

}  // namespace

bool IsSignatureFailure(std::string_view reason) {
  return reason == "bad_signature" || reason == "malformed_signature" ||
         reason == "stale_signature";
}

void RefusedDeliveries::Record(RefusedDelivery delivery) {
  std::lock_guard<std::mutex> lock(mu_);
  ++total_;
  if (delivery.team) {
    TeamCounts& counts = by_team_[*delivery.team];
    const int64_t minute = UnixMinute(delivery.at);
    Minute& slot = counts.minutes[static_cast<size_t>(((minute % kMinutes) + kMinutes) % kMinutes)];
    if (slot.minute != minute) slot = Minute{minute, 0, 0};
    ++slot.refused;
    if (IsSignatureFailure(delivery.reason)) {
      ++slot.failed_signature;
      if (!counts.last_failed_at || delivery.at > *counts.last_failed_at)
        counts.last_failed_at = delivery.at;
    }
  }
  if (capacity_ == 0) return;
  if (entries_.size() >= capacity_) entries_.pop_front();
  entries_.push_back(std::move(delivery));
}

std::vector<RefusedDelivery> RefusedDeliveries::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return std::vector<RefusedDelivery>(entries_.begin(), entries_.end());
}

size_t RefusedDeliveries::Forget(
    const std::function<absl::Time(const std::optional<TeamId>&)>& cutoff) {
  std::lock_guard<std::mutex> lock(mu_);
  const size_t before = entries_.size();
  std::erase_if(entries_, [&](const RefusedDelivery& d) { return d.at < cutoff(d.team); });
  return before - entries_.size();
}

uint64_t RefusedDeliveries::total() const {
  std::lock_guard<std::mutex> lock(mu_);
  return total_;
}

RefusedSummary RefusedDeliveries::SummaryFor(const TeamId& team, absl::Time now) const {
  RefusedSummary summary;
  summary.window = absl::Minutes(kMinutes);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_team_.find(team);
  if (it == by_team_.end()) return summary;
  const int64_t current = UnixMinute(now);
  for (const Minute& m : it->second.minutes) {
    if (m.minute < 0 || m.minute > current || m.minute <= current - kMinutes) continue;
    summary.failed_signature += m.failed_signature;
    summary.refused += m.refused;
  }
  if (it->second.last_failed_at && now - *it->second.last_failed_at <= summary.window) {
    summary.last_failed_at = it->second.last_failed_at;
  }
  return summary;
}

}  // namespace stagecheck::certn_plugin
