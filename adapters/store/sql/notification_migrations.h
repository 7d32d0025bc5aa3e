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

}  // namespace stagecheck::store::portable
