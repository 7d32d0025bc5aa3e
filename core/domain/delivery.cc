#include "core/domain/delivery.h"

#include <array>

namespace stagecheck {
namespace {
constexpr std::array<std::pair<DeliveryVerdict, std::string_view>, kVerdictCount> kVerdicts = {{
    {DeliveryVerdict::kApplied, "applied"},
    {DeliveryVerdict::kDuplicate, "duplicate"},
    {DeliveryVerdict::kNoChange, "no_change"},
    {DeliveryVerdict::kIgnored, "ignored"},
    {DeliveryVerdict::kOrphan, "orphan"},
    {DeliveryVerdict::kUnverified, "unverified"},
}};
}  // namespace

std::string_view VerdictName(DeliveryVerdict verdict) {
  for (const auto& [v, name] : kVerdicts) {
    if (v == verdict) return name;
  }
  return "applied";
}

std::optional<DeliveryVerdict> ParseVerdict(std::string_view name) {
  for (const auto& [v, n] : kVerdicts) {
    if (n == name) return v;
  }
  return std::nullopt;
}

}  // namespace stagecheck
