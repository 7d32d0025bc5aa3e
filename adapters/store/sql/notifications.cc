// The notification tables (schema v12 and v13, notification_migrations.h): a
// user's notifications, who watches which application, and which delays of
// a check its people were told of.
#include "adapters/store/sql/pages.h"
#include "adapters/store/sql/rows.h"
#include "adapters/store/sql/unit_of_work.h"
#include "core/status_macros.h"

namespace stagecheck::store {

using pages::BuildPage;
using pages::FinishPage;
using pages::PageQuery;
using rows::Cells;
using rows::Corrupt;
using rows::MapRows;
using rows::P;
using rows::Single;

namespace {

constexpr std::string_view kNotificationCols =
    "notification_id, user_id, kind, text, check_id, candidate_id, application_id, endpoint_id, "
    "read_at, created_at";

absl::StatusOr<Notification> ReadNotification(const TeamId& team, const Row& row) {
  Cells c(row);
  Notification n;
  n.team = team;
  n.id = c.IdOf<NotificationId>();
  n.user = c.IdOf<UserId>();
  const std::string kind = c.Text();
  std::optional<NotificationKind> parsed = ParseNotificationKind(kind);
  if (!parsed) return Corrupt("notifications.kind", kind);
  n.kind = *parsed;
  n.text = c.Text();
  n.check = c.OptId<CheckId>();
  n.candidate = c.OptId<CandidateId>();
  n.application = c.OptId<ApplicationId>();
  n.endpoint = c.OptId<WebhookEndpointId>();
  n.read_at = c.OptTime();
  n.created_at = c.Time();
  return n;
}

}  // namespace

absl::Status SqlUnitOfWork::AddWatch(const ApplicationWatch& w) {
  absl::Status s = Insert(
      "INSERT INTO application_watches (team_id, application_id, user_id, created_at) VALUES "
      "(?, ?, ?, ?)",
      {P(w.team), P(w.application), P(w.user), P(w.created_at)}, "application watch");
  return absl::IsAlreadyExists(s) ? absl::OkStatus() : s;
}

absl::Status SqlUnitOfWork::RemoveWatch(const TeamId& team, const ApplicationId& application,
                                        const UserId& user) {
  ASSIGN_OR_RETURN(int64_t n, Exec("DELETE FROM application_watches WHERE team_id = ? AND "
                                   "application_id = ? AND user_id = ?",
                                   {P(team), P(application), P(user)}));
  if (n == 0) return absl::NotFoundError("application watch not found");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<UserId>> SqlUnitOfWork::ListWatchers(const TeamId& team,
                                                                const ApplicationId& application) {
  ASSIGN_OR_RETURN(std::vector<Row> rows,
                   Query("SELECT user_id FROM application_watches WHERE team_id = ? AND "
                         "application_id = ? ORDER BY user_id",
                         {P(team), P(application)}));
  std::vector<UserId> users;
  for (const Row& row : rows) users.push_back(Cells(row).IdOf<UserId>());
  return users;
}

absl::Status SqlUnitOfWork::InsertNotification(const Notification& n) {
  return Insert(
      absl::StrCat("INSERT INTO notifications (team_id, ", ToAbsl(kNotificationCols),
                   ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
      {P(n.team), P(n.id), P(n.user), P(NotificationKindName(n.kind)), P(n.text), P(n.check),
       P(n.candidate), P(n.application), P(n.endpoint), P(n.read_at), P(n.created_at)},
      "notification");
}

absl::StatusOr<Page<Notification>> SqlUnitOfWork::ListNotifications(const TeamId& team,
                                                                    const UserId& user,
                                                                    const PageRequest& page) {
  ASSIGN_OR_RETURN(PageQuery q, BuildPage(absl::StrCat("SELECT ", ToAbsl(kNotificationCols),
                                                       " FROM notifications"),
                                          "team_id = ? AND user_id = ?", {P(team), P(user)},
                                          "created_at", "notification_id", page));
  ASSIGN_OR_RETURN(std::vector<Row> rows, Query(q.sql, q.params));
  ASSIGN_OR_RETURN(std::vector<Notification> items, MapRows<Notification>(rows, [&](const Row& r) {
                     return ReadNotification(team, r);
                   }));
  return FinishPage(std::move(items), q.limit,
                    [](const Notification& n) { return TimeCursor(n.created_at, n.id.value()); });
}

absl::StatusOr<Notification> SqlUnitOfWork::GetNotification(const TeamId& team, const UserId& user,
                                                            const NotificationId& id) {
  ASSIGN_OR_RETURN(Row row, Single(Query(absl::StrCat("SELECT ", ToAbsl(kNotificationCols),
                                                      " FROM notifications WHERE team_id = ? "
                                                      "AND user_id = ? AND notification_id = ?"),
                                         {P(team), P(user), P(id)}),
                                   "notification"));
  return ReadNotification(team, row);
}

absl::StatusOr<int64_t> SqlUnitOfWork::CountUnreadNotifications(const TeamId& team,
                                                                const UserId& user) {
  ASSIGN_OR_RETURN(std::vector<Row> rows,
                   Query("SELECT COUNT(*) FROM notifications WHERE team_id = ? AND user_id = ? "
                         "AND read_at IS NULL",
                         {P(team), P(user)}));
  if (rows.empty()) return 0;
  return Cells(rows.front()).Int();
}

absl::Status SqlUnitOfWork::MarkNotificationRead(const TeamId& team, const UserId& user,
                                                 const NotificationId& id, absl::Time at) {
  RETURN_IF_ERROR(GetNotification(team, user, id).status());
  return Exec(
             "UPDATE notifications SET read_at = ? WHERE team_id = ? AND user_id = ? AND "
             "notification_id = ? AND read_at IS NULL",
             {P(at), P(team), P(user), P(id)})
      .status();
}

absl::StatusOr<int64_t> SqlUnitOfWork::MarkAllNotificationsRead(const TeamId& team,
                                                                const UserId& user, absl::Time at) {
  return Exec(
      "UPDATE notifications SET read_at = ? WHERE team_id = ? AND user_id = ? AND read_at IS "
      "NULL",
      {P(at), P(team), P(user)});
}

absl::StatusOr<bool> SqlUnitOfWork::RecordDelayNotice(const TeamId& team, const CheckId& check,
                                                      const std::string& delay_key,
                                                      absl::Time late_at, absl::Time at) {
  // A concurrent insert of the same key waits for the other transaction and
  // then inserts nothing (both stores), so two runs never both see `true`.
  ASSIGN_OR_RETURN(int64_t n, Exec("INSERT INTO check_delay_notices (team_id, check_id, "
                                   "delay_key, late_at, notified_at) VALUES (?, ?, ?, ?, ?) "
                                   "ON CONFLICT (team_id, check_id, delay_key) DO NOTHING",
                                   {P(team), P(check), P(delay_key), P(late_at), P(at)}));
  return n > 0;
}

}  // namespace stagecheck::store
