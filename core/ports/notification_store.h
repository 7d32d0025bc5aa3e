// The rows of notifications for people and of application watches (issue
// 20, item 4). Like core/ports/outbound_store.h, the store adapter
// implements this port on the same object as the UnitOfWork, so a
// notification is written in the transaction of the change it tells of.
// Every method is keyed by team first, and a user's methods by user.
//
// Errors follow core/ports/store.h: NotFound, AlreadyExists, Unavailable.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/domain/notification.h"
#include "core/ports/store.h"

namespace stagecheck {

class NotificationUnitOfWork {
 public:
  virtual ~NotificationUnitOfWork() = default;

  // A watch already there is kept as it is (no error).
  virtual absl::Status AddWatch(const ApplicationWatch& watch) = 0;
  // NotFound when the user does not watch the application.
  virtual absl::Status RemoveWatch(const TeamId& team, const ApplicationId& application,
                                   const UserId& user) = 0;
  // The users watching an application, by user id.
  virtual absl::StatusOr<std::vector<UserId>> ListWatchers(const TeamId& team,
                                                           const ApplicationId& application) = 0;

  virtual absl::Status InsertNotification(const Notification& notification) = 0;
  // A user's notifications, newest first.
  virtual absl::StatusOr<Page<Notification>> ListNotifications(const TeamId& team,
                                                               const UserId& user,
                                                               const PageRequest& page) = 0;
  // NotFound unless the notification is the user's.
  virtual absl::StatusOr<Notification> GetNotification(const TeamId& team, const UserId& user,
                                                       const NotificationId& id) = 0;
  virtual absl::StatusOr<int64_t> CountUnreadNotifications(const TeamId& team,
                                                           const UserId& user) = 0;
  // NotFound unless the notification is the user's; an already read one keeps its time.
  virtual absl::Status MarkNotificationRead(const TeamId& team, const UserId& user,
                                            const NotificationId& id, absl::Time at) = 0;
  // Returns how many were unread.
  virtual absl::StatusOr<int64_t> MarkAllNotificationsRead(const TeamId& team, const UserId& user,
                                                           absl::Time at) = 0;

  // Remembers that the people of `check` were told of its delay `delay_key`
  // (past `late_at`). False, and nothing written, when they already were:
  // the caller then tells no one (once per check and delay, whoever runs it).
  virtual absl::StatusOr<bool> RecordDelayNotice(const TeamId& team, const CheckId& check,
                                                 const std::string& delay_key, absl::Time late_at,
                                                 absl::Time at) = 0;
};

// The notification rows of the transaction `uow` belongs to (std::bad_cast
// when the store's unit of work lacks them: a wiring error).
inline NotificationUnitOfWork& NotificationRows(UnitOfWork& uow) {
  return dynamic_cast<NotificationUnitOfWork&>(uow);
}

}  // namespace stagecheck
