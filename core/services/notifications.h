// Notifications for people (issue 20, item 4; docs/operations.md, section
// 12). The user who sent a check and everyone watching its application are
// told when it completes (clear or otherwise), completes needing review
// (scored REVIEW or REJECT), stops with an error, or is past its expected
// date (the delayed-check job); every active admin when an outbound endpoint
// is disabled automatically. RecordCheckNotifications
// runs where a check's changes become events (core/services/check_events.cc),
// in the transaction that writes the check. A user reads and marks only their
// own notifications; watching is per signed-in user.
#pragma once

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "core/domain/notification.h"
#include "core/domain/webhook_endpoint.h"
#include "core/services/deps.h"

namespace stagecheck {

// Inside the transaction writing `check`: `stored_status` is the status of
// the row before the write, nullopt for a new check. Writes one notification
// per recipient when the status becomes complete or error; nothing otherwise.
absl::Status RecordCheckNotifications(UnitOfWork& uow, const Deps& deps,
                                      std::optional<CheckStatus> stored_status,
                                      const BackgroundCheck& check);

// The words of a notification of `kind` about a check for `candidate_name`.
std::string NotificationText(NotificationKind kind, std::string_view candidate_name,
                             const std::optional<std::string>& score);

// The notification as told to someone who may not see results (a role
// without them, or a token narrowed to one): "needs review" becomes
// "completed" and the words end at "is complete". Errors say no result.
Notification WithoutResult(Notification n);

// Inside the delayed-check job's transaction (core/services/delay_notices.h):
// one `delayed` notification per recipient of `check`, which was expected by `late_at`.
absl::Status RecordDelayNotifications(UnitOfWork& uow, const Deps& deps,
                                      const BackgroundCheck& check, absl::Time late_at);
// "Background check for Ada Lovelace is past its expected date (1 December 2026)".
std::string DelayedText(std::string_view candidate_name, absl::Time late_at);

// Inside the transaction that disabled `endpoint` automatically (410, or
// failing for 72 hours): one `endpoint_disabled` notification per active admin.
absl::Status RecordEndpointDisabledNotifications(UnitOfWork& uow, const Deps& deps,
                                                 const WebhookEndpoint& endpoint);
std::string EndpointDisabledText(const WebhookEndpoint& endpoint);

class Notifications {
 public:
  explicit Notifications(const Deps& deps) : deps_(deps) {}

  absl::StatusOr<Page<Notification>> List(const Principal& who, const PageRequest& page);
  absl::StatusOr<int64_t> UnreadCount(const Principal& who);
  // NotFound (404) unless the notification is the caller's.
  absl::StatusOr<Notification> MarkRead(const Principal& who, const NotificationId& id);
  // Returns how many were unread.
  absl::StatusOr<int64_t> MarkAllRead(const Principal& who);

  // NotFound (404) for an application not of the caller's team.
  absl::Status Watch(const Principal& who, const ApplicationId& application);
  absl::Status Unwatch(const Principal& who, const ApplicationId& application);
  absl::StatusOr<bool> Watching(const Principal& who, const ApplicationId& application);

 private:
  Deps deps_;
};

}  // namespace stagecheck
