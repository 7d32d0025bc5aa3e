// Notifications for people (issue 20, item 4): a record for one user of a
// team that a check they sent, or a check on an application they watch,
// completed, needs review or stopped with an error. Written in the
// transaction of the change (core/services/notifications.h); the words are
// set then, so that the list reads without joining anything.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "core/ids.h"

namespace stagecheck {

using NotificationId = Id<struct NotificationTag>;

enum class NotificationKind { kCompleted, kNeedsReview, kError };
std::string_view NotificationKindName(NotificationKind kind);  // completed, needs_review, error
std::optional<NotificationKind> ParseNotificationKind(std::string_view name);

struct Notification {
  TeamId team;
  NotificationId id;
  UserId user;  // who reads it
  NotificationKind kind = NotificationKind::kCompleted;
  std::string text;  // "Background check for Ada Lovelace is complete: clear"
  CheckId check;
  CandidateId candidate;
  std::optional<ApplicationId> application;  // empty for an ad-hoc check
  std::optional<absl::Time> read_at;
  absl::Time created_at;
};

// A user watching an application is told about its checks like their sender.
struct ApplicationWatch {
  TeamId team;
  ApplicationId application;
  UserId user;
  absl::Time created_at;
};

}  // namespace stagecheck
