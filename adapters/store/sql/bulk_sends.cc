// The bulk_sends and bulk_send_entries tables (schema v8): a bulk send and
// one row per selected application. An entry's progress is read together
// with its check, so what a poll shows is one consistent snapshot.
#include "absl/strings/str_cat.h"
#include "adapters/store/sql/rows.h"
#include "adapters/store/sql/unit_of_work.h"
#include "core/status_macros.h"

namespace stagecheck::store {

using rows::Cells;
using rows::Corrupt;
using rows::P;

absl::Status SqlUnitOfWork::InsertBulkSend(const BulkSend& bulk) {
  RETURN_IF_ERROR(Insert(
      "INSERT INTO bulk_sends (team_id, bulk_send_id, requested_by, package_id, created_at) "
      "VALUES (?, ?, ?, ?, ?)",
      {P(bulk.team), P(bulk.id), P(bulk.requested_by), P(bulk.package_id), P(bulk.created_at)},
      "bulk send"));
  for (const BulkSendEntry& e : bulk.entries) {
    RETURN_IF_ERROR(
        Insert("INSERT INTO bulk_send_entries (team_id, bulk_send_id, position, application_id, "
               "state, reason, check_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
               {P(bulk.team), P(bulk.id), P(e.position), P(e.application), P(StepName(e.step)),
                P(e.reason), P(e.check), P(e.updated_at)},
               "bulk send entry"));
  }
  return absl::OkStatus();
}

absl::StatusOr<BulkSend> SqlUnitOfWork::GetBulkSend(const TeamId& team, const BulkSendId& id) {
  ASSIGN_OR_RETURN(std::vector<Row> head,
                   Query("SELECT requested_by, package_id, created_at FROM bulk_sends "
                         "WHERE team_id = ? AND bulk_send_id = ?",
                         {P(team), P(id)}));
  if (head.empty()) return absl::NotFoundError("bulk send not found");
  BulkSend bulk;
  bulk.team = team;
  bulk.id = id;
  Cells h(head.front());
  bulk.requested_by = h.IdOf<UserId>();
  bulk.package_id = h.OptText();
  bulk.created_at = h.Time();
  ASSIGN_OR_RETURN(
      std::vector<Row> rows,
      Query("SELECT e.position, e.application_id, e.state, e.reason, e.check_id, e.updated_at, "
            "c.first_name, c.last_name, k.status, k.ordered_at, k.error_reason "
            "FROM bulk_send_entries e "
            "JOIN applications a ON a.team_id = e.team_id AND a.application_id = e.application_id "
            "JOIN candidates c ON c.team_id = a.team_id AND c.candidate_id = a.candidate_id "
            "LEFT JOIN background_checks k ON k.team_id = e.team_id AND k.check_id = e.check_id "
            "WHERE e.team_id = ? AND e.bulk_send_id = ? ORDER BY e.position",
            {P(team), P(id)}));
  for (const Row& row : rows) {
    Cells c(row);
    BulkSendEntry e;
    e.position = c.Int();
    e.application = c.IdOf<ApplicationId>();
    const std::string step = c.Text();
    std::optional<BulkEntryStep> parsed = ParseStep(step);
    if (!parsed) return Corrupt("bulk_send_entries.state", step);
    e.step = *parsed;
    e.reason = c.Text();
    e.check = c.OptId<CheckId>();
    e.updated_at = c.Time();
    const std::string first = c.Text();
    e.candidate_name = absl::StrCat(first, " ", c.Text());
    if (std::optional<std::string> status = c.OptText()) e.check_status = ParseStatus(*status);
    e.check_ordered = c.OptInt().has_value();
    e.check_error_reason = c.Text();
    bulk.entries.push_back(std::move(e));
  }
  return bulk;
}

absl::Status SqlUnitOfWork::UpdateBulkSendEntry(const TeamId& team, const BulkSendId& id,
                                                const BulkSendEntry& e) {
  return UpdateOne(
      "UPDATE bulk_send_entries SET state = ?, reason = ?, check_id = ?, updated_at = ? "
      "WHERE team_id = ? AND bulk_send_id = ? AND position = ?",
      {P(StepName(e.step)), P(e.reason), P(e.check), P(e.updated_at), P(team), P(id),
       P(e.position)},
      "bulk send entry");
}

}  // namespace stagecheck::store
