#include "core/domain/notification.h"

namespace stagecheck {
namespace {

struct KindName {
  NotificationKind kind;
  std::string_view name;
};
constexpr KindName kKindNames[] = {
    {NotificationKind::kCompleted, "completed"},
    {NotificationKind::kNeedsReview, "needs_review"},
    {NotificationKind::kError, "error"},
    {NotificationKind::kDelayed, "delayed"},
    {NotificationKind::kEndpointDisabled, "endpoint_disabled"},
};

}  // namespace

std::string_view NotificationKindName(NotificationKind kind) {
  for (const KindName& k : kKindNames) {
    if (k.kind == kind) return k.name;
  }
  return "completed";
}

std::optional<NotificationKind> ParseNotificationKind(std::string_view name) {
  for (const KindName& k : kKindNames) {
    if (k.name == name) return k.kind;
  }
  return std::nullopt;
}

}  // namespace stagecheck
