// Notifications for people (issue 20, item 4): a record for one user of a
// team that a check they sent, or a check on an application they watch,
// completed, needs review, stopped with an error or is past its expected
// date; and, for every active admin, that an outbound webhook endpoint was
// disabled automatically. Written in the
// transaction of the change (core/services/notifications.h); the words are
// set then, so that the list reads without joining anything.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "core/domain/webhook_endpoint.h"
#include "core/ids.h"

namespace stagecheck {

using NotificationId = Id<struct NotificationTag>;

enum class NotificationKind { kCompleted, kNeedsReview, kError, kDelayed, kEndpointDisabled };
// completed, needs_review, error, delayed, endpoint_disabled
std::string_view NotificationKindName(NotificationKind kind);
std::optional<NotificationKind> ParseNotificationKind(std::string_view name);

struct Notification {
  TeamId team;
  NotificationId id;
  UserId user;  // who reads it
  NotificationKind kind = NotificationKind::kCompleted;
  std::string text;  // "Background check for Ada Lovelace is complete: clear"
  // A check's notification names the check and its candidate (and its
  // application, but for an ad-hoc check); endpoint_disabled names the endpoint.
  std::optional<CheckId> check;
  std::optional<CandidateId> candidate;
  std::optional<ApplicationId> application;
  std::optional<WebhookEndpointId> endpoint;
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
