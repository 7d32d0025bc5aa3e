// v12 (issue 20, item 4): notifications for people, in portable SQL like
// portable_migrations.h. (1) one row per notification of one user, with the
// words written when the check changed, the check, candidate and application
// it is about (an erasure of a candidate deletes its rows by candidate_id),
// and when it was read; indexed for a user's newest-first list and unread
// count; (2) who watches which application.
#pragma once

#include <string_view>

namespace stagecheck::store::portable {

inline constexpr std::string_view kNotifications = R"sql(
CREATE TABLE notifications (
  team_id TEXT NOT NULL,
  notification_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  text TEXT NOT NULL,
  check_id TEXT NOT NULL,
  candidate_id TEXT NOT NULL,
  application_id TEXT,
  read_at {int64},
  created_at {int64} NOT NULL,
  PRIMARY KEY (team_id, notification_id)
);
CREATE INDEX notifications_by_user
  ON notifications (team_id, user_id, created_at, notification_id);
CREATE INDEX notifications_by_candidate ON notifications (team_id, candidate_id);
CREATE TABLE application_watches (
  team_id TEXT NOT NULL,
  application_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  created_at {int64} NOT NULL,
  PRIMARY KEY (team_id, application_id, user_id)
);
)sql";

// v13 (issue 20): notifications that are not about a check, and the
// delayed-check job's memory. (1) notifications are rebuilt (SQLite cannot
// drop NOT NULL) with check_id and candidate_id nullable and an endpoint_id
// for the notice to admins that an outbound endpoint was disabled; (2) one
// row per check and delay the delayed-check job told people about: its
// primary key makes the notice once per check and delay (re-runs, restarts
// and replicas insert nothing twice). Ids and times only. (3) indexes by age
// for the retention job's purge of the outbox and of read notifications, and
// of deliveries by event (which events no delivery needs any more).
inline constexpr std::string_view kNotificationSubjects = R"sql(
CREATE TABLE notifications_v13 (
  team_id TEXT NOT NULL,
  notification_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  text TEXT NOT NULL,
  check_id TEXT,
  candidate_id TEXT,
  application_id TEXT,
  endpoint_id TEXT,
  read_at {int64},
  created_at {int64} NOT NULL,
  PRIMARY KEY (team_id, notification_id)
);
INSERT INTO notifications_v13 (team_id, notification_id, user_id, kind, text, check_id,
  candidate_id, application_id, read_at, created_at)
  SELECT team_id, notification_id, user_id, kind, text, check_id, candidate_id, application_id,
  read_at, created_at FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_v13 RENAME TO notifications;
CREATE INDEX notifications_by_user
  ON notifications (team_id, user_id, created_at, notification_id);
CREATE INDEX notifications_by_candidate ON notifications (team_id, candidate_id);
CREATE INDEX notifications_by_age ON notifications (team_id, created_at);
CREATE TABLE check_delay_notices (
  team_id TEXT NOT NULL,
  check_id TEXT NOT NULL,
  delay_key TEXT NOT NULL,
  late_at {int64} NOT NULL,
  notified_at {int64} NOT NULL,
  PRIMARY KEY (team_id, check_id, delay_key)
);
CREATE INDEX outbound_deliveries_by_age ON outbound_deliveries (team_id, updated_at);
CREATE INDEX outbound_deliveries_by_event ON outbound_deliveries (team_id, event_id);
CREATE INDEX outbound_events_by_age ON outbound_events (team_id, created_at);
)sql";

}  // namespace stagecheck::store::portable
