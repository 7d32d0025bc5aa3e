#include "core/domain/webhook_endpoint.h"

#include <array>
#include <utility>

namespace stagecheck {
namespace {

constexpr std::array<std::pair<OutboundDeliveryState, std::string_view>, 3> kStates = {{
    {OutboundDeliveryState::kPending, "pending"},
    {OutboundDeliveryState::kDelivered, "delivered"},
    {OutboundDeliveryState::kFailed, "failed"},
}};

}  // namespace

std::string_view DeliveryStateName(OutboundDeliveryState state) {
  for (const auto& [s, name] : kStates)
    if (s == state) return name;
  return "pending";
}

std::optional<OutboundDeliveryState> ParseDeliveryState(std::string_view name) {
  for (const auto& [s, n] : kStates)
    if (n == name) return s;
  return std::nullopt;
}

}  // namespace stagecheck
