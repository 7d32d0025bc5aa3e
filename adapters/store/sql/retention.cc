// Retention and erasure (core/ports/retention_store.h): the `team_retention`
// table, the retention job's purges and the erasure of one candidate's
// personal data across every table that holds it.
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "adapters/store/sql/at_rest.h"
#include "adapters/store/sql/codec.h"
#include "adapters/store/sql/rows.h"
#include "adapters/store/sql/unit_of_work.h"
#include "core/domain/erasure.h"
#include "core/status_macros.h"
#include "core/strings.h"

namespace stagecheck::store {
namespace {

using rows::Bytes;
using rows::Cells;
using rows::P;

// What an erased candidate is called from now on.
constexpr std::string_view kErasedFirst = "Erased";
constexpr std::string_view kErasedLast = "candidate";
constexpr std::string_view kErasedWord = "[erased]";

constexpr std::string_view kRetentionCols =
    "team_id, report_days, delivery_body_days, unverified_metadata_days, updated_at";
RetentionSettings ReadRetention(Cells& c) {
  RetentionSettings s;
  s.report_days = static_cast<int>(c.Int());
  s.delivery_body_days = static_cast<int>(c.Int());
  s.unverified_metadata_days = static_cast<int>(c.Int());
  s.updated_at = c.Time();
  return s;
}

// The candidate's checks, as a subquery with two parameters (team, candidate).
constexpr std::string_view kChecksOf =
    "SELECT check_id FROM background_checks WHERE team_id = ? AND candidate_id = ?";
constexpr std::string_view kCasesOf =
    "SELECT certn_case_id FROM background_checks WHERE team_id = ? AND candidate_id = ? "
    "AND certn_case_id IS NOT NULL";

}  // namespace

absl::StatusOr<RetentionSettings> SqlUnitOfWork::GetRetention(const TeamId& team) {
  ASSIGN_OR_RETURN(std::vector<Row> rows,
                   Query(absl::StrCat("SELECT ", ToAbsl(kRetentionCols),
                                      " FROM team_retention WHERE team_id = ?"),
                         {P(team)}));
  if (rows.empty()) return RetentionSettings{};
  Cells c(rows.front());
  c.Text();  // team_id
  return ReadRetention(c);
}

absl::StatusOr<std::vector<std::pair<TeamId, RetentionSettings>>>
SqlUnitOfWork::ListChangedRetention() {
  ASSIGN_OR_RETURN(std::vector<Row> rows,
                   Query(absl::StrCat("SELECT ", ToAbsl(kRetentionCols),
                                      " FROM team_retention ORDER BY team_id"),
                         {}));
  std::vector<std::pair<TeamId, RetentionSettings>> out;
  for (const Row& row : rows) {
    Cells c(row);
    TeamId team = c.IdOf<TeamId>();
    out.emplace_back(std::move(team), ReadRetention(c));
  }
  return out;
}

absl::Status SqlUnitOfWork::PutRetention(const TeamId& team, const RetentionSettings& s) {
  return Exec(
             "INSERT INTO team_retention (team_id, report_days, delivery_body_days, "
             "unverified_metadata_days, updated_at) VALUES (?, ?, ?, ?, ?) "
             "ON CONFLICT (team_id) DO UPDATE SET report_days = excluded.report_days, "
             "delivery_body_days = excluded.delivery_body_days, "
             "unverified_metadata_days = excluded.unverified_metadata_days, "
             "updated_at = excluded.updated_at",
             {P(team), P(s.report_days), P(s.delivery_body_days), P(s.unverified_metadata_days),
              P(s.updated_at.value_or(absl::UnixEpoch()))})
      .status();
}

absl::StatusOr<std::vector<TeamId>> SqlUnitOfWork::ListTeamIds(const std::optional<TeamId>& after,
                                                               int limit) {
  ASSIGN_OR_RETURN(std::vector<Row> rows,
                   Query("SELECT team_id FROM teams WHERE team_id > ? ORDER BY team_id LIMIT ?",
                         {P(after ? after->value() : std::string()), P(limit)}));
  std::vector<TeamId> out;
  for (const Row& row : rows) out.push_back(Cells(row).IdOf<TeamId>());
  return out;
}

absl::StatusOr<std::vector<PurgedReport>> SqlUnitOfWork::PurgeReports(const TeamId& team,
                                                                      absl::Time completed_before,
                                                                      absl::Time now, int limit) {
  ASSIGN_OR_RETURN(
      std::vector<Row> rows,
      Query(absl::StrCat("SELECT check_id, candidate_id, application_id, report_saved_as "
                         "FROM background_checks WHERE team_id = ? AND status = 'complete' "
                         "AND report_purged_at IS NULL AND completed_at < ? "
                         "ORDER BY completed_at, check_id LIMIT ?",
                         ToAbsl(dialect_.row_lock_suffix)),
            {P(team), P(completed_before), P(limit)}));
  ASSIGN_OR_RETURN(std::string no_results, Seal(at_rest_, EncodeResults({})));
  std::vector<PurgedReport> purged;
  for (const Row& row : rows) {
    Cells c(row);
    PurgedReport p;
    p.check = c.IdOf<CheckId>();
    p.candidate = c.IdOf<CandidateId>();
    p.application = c.OptId<ApplicationId>();
    if (std::optional<FileId> file = c.OptId<FileId>()) {
      ASSIGN_OR_RETURN(int64_t n, Exec("DELETE FROM candidate_files WHERE team_id = ? AND "
                                       "file_id = ?",
                                       {P(team), P(*file)}));
      p.file_removed = n > 0;
    }
    RETURN_IF_ERROR(Exec("UPDATE background_checks SET results = ?, report_purged_at = ? "
                         "WHERE team_id = ? AND check_id = ?",
                         {P(no_results), P(now), P(team), P(p.check)})
                        .status());
    purged.push_back(std::move(p));
  }
  return purged;
}

absl::StatusOr<int64_t> SqlUnitOfWork::PurgeDeliveryBodies(const TeamId& team,
                                                           absl::Time received_before, int limit) {
  return Exec(
      "UPDATE webhook_deliveries SET body = ? WHERE team_id = ? AND delivery_id IN ("
      "SELECT delivery_id FROM webhook_deliveries WHERE team_id = ? AND received_at < ? "
      "AND length(body) > 0 ORDER BY received_at LIMIT ?)",
      {Bytes(std::string()), P(team), P(team), P(received_before), P(limit)});
}

absl::StatusOr<OutboxPurge> SqlUnitOfWork::PurgeOutbox(const TeamId& team,
                                                       absl::Time finished_before, int limit) {
  OutboxPurge purged;
  ASSIGN_OR_RETURN(std::vector<Row> deliveries,
                   Query(absl::StrCat("SELECT delivery_id FROM outbound_deliveries WHERE "
                                      "team_id = ? AND state <> 'pending' AND updated_at < ? "
                                      "ORDER BY updated_at, delivery_id LIMIT ?",
                                      ToAbsl(dialect_.row_lock_suffix)),
                         {P(team), P(finished_before), P(limit)}));
  for (const Row& row : deliveries) {
    const std::string id = Cells(row).Text();
    RETURN_IF_ERROR(Exec("DELETE FROM outbound_attempts WHERE team_id = ? AND delivery_id = ?",
                         {P(team), P(id)})
                        .status());
    ASSIGN_OR_RETURN(int64_t n, Exec("DELETE FROM outbound_deliveries WHERE team_id = ? AND "
                                     "delivery_id = ? AND state <> 'pending'",
                                     {P(team), P(id)}));
    purged.deliveries += n;
  }
  // Events no delivery refers to; the newest of a subject only once (emptied).
  ASSIGN_OR_RETURN(
      std::vector<Row> events,
      Query("SELECT event_id FROM outbound_events e WHERE e.team_id = ? AND e.created_at < ? "
            "AND NOT EXISTS (SELECT 1 FROM outbound_deliveries d WHERE d.team_id = e.team_id "
            "AND d.event_id = e.event_id) AND (length(e.body) > 0 OR e.sequence < (SELECT "
            "MAX(l.sequence) FROM outbound_events l WHERE l.team_id = e.team_id AND l.subject "
            "= e.subject)) ORDER BY e.created_at, e.event_id LIMIT ?",
            {P(team), P(finished_before), P(limit)}));
  for (const Row& row : events) {
    const std::string id = Cells(row).Text();
    ASSIGN_OR_RETURN(int64_t deleted,
                     Exec("DELETE FROM outbound_events WHERE team_id = ? AND event_id = ? AND "
                          "sequence < (SELECT MAX(l.sequence) FROM outbound_events l WHERE "
                          "l.team_id = outbound_events.team_id AND l.subject = "
                          "outbound_events.subject)",
                          {P(team), P(id)}));
    if (deleted == 0) {
      RETURN_IF_ERROR(Exec("UPDATE outbound_events SET body = '' WHERE team_id = ? AND "
                           "event_id = ?",
                           {P(team), P(id)})
                          .status());
    }
    ++purged.events;
  }
  return purged;
}

absl::StatusOr<int64_t> SqlUnitOfWork::PurgeReadNotifications(const TeamId& team,
                                                              absl::Time created_before,
                                                              int limit) {
  return Exec(
      "DELETE FROM notifications WHERE team_id = ? AND notification_id IN (SELECT "
      "notification_id FROM notifications WHERE team_id = ? AND read_at IS NOT NULL AND "
      "created_at < ? ORDER BY created_at LIMIT ?)",
      {P(team), P(team), P(created_before), P(limit)});
}

absl::StatusOr<std::optional<absl::Time>> SqlUnitOfWork::GetErasure(const TeamId& team,
                                                                    const CandidateId& candidate) {
  ASSIGN_OR_RETURN(std::vector<Row> rows,
                   Query("SELECT erased_at FROM candidates WHERE team_id = ? AND candidate_id = ?",
                         {P(team), P(candidate)}));
  if (rows.empty()) return absl::NotFoundError("candidate not found");
  return Cells(rows.front()).OptTime();
}

absl::Status SqlUnitOfWork::ScrubFeedMessages(const TeamId& team, const CandidateId& candidate,
                                              const PersonalWords& words) {
  // Read, scrubbed here (ScrubPersonalWords: whole words, not SQL's
  // substring replace), and written back where a line changed.
  ASSIGN_OR_RETURN(std::vector<Row> lines,
                   Query("SELECT event_id, message FROM feed_events WHERE team_id = ? AND "
                         "candidate_id = ?",
                         {P(team), P(candidate)}));
  for (const Row& row : lines) {
    Cells c(row);
    const std::string id = c.Text();
    const std::string message = c.Text();
    std::string scrubbed = ScrubPersonalWords(message, words, kErasedWord);
    if (scrubbed == message) continue;
    RETURN_IF_ERROR(Exec("UPDATE feed_events SET message = ? WHERE team_id = ? AND event_id = ?",
                         {P(scrubbed), P(team), P(id)})
                        .status());
  }
  // A person's reason for cancelling is free text too.
  return Exec(
             "UPDATE background_checks SET cancel_reason = NULL "
             "WHERE team_id = ? AND candidate_id = ?",
             {P(team), P(candidate)})
      .status();
}

absl::StatusOr<ErasureCounts> SqlUnitOfWork::EraseCandidate(const TeamId& team,
                                                            const CandidateId& candidate,
                                                            absl::Time now) {
  ASSIGN_OR_RETURN(std::vector<Row> who,
                   Query(absl::StrCat("SELECT first_name, last_name, email, phone FROM candidates "
                                      "WHERE team_id = ? AND candidate_id = ?",
                                      ToAbsl(dialect_.row_lock_suffix)),
                         {P(team), P(candidate)}));
  if (who.empty()) return absl::NotFoundError("candidate not found");
  Cells c(who.front());
  const std::string first = c.Text();
  const std::string last = c.Text();
  const std::optional<std::string> email = c.OptText();
  const std::optional<std::string> phone = c.OptText();
  const PersonalWords words = PersonalWordsOf(first, last, email, phone);
  ErasureCounts counts;
  ASSIGN_OR_RETURN(counts.files, Exec("DELETE FROM candidate_files WHERE team_id = ? AND "
                                      "candidate_id = ?",
                                      {P(team), P(candidate)}));
  ASSIGN_OR_RETURN(std::string no_results, Seal(at_rest_, EncodeResults({})));
  ASSIGN_OR_RETURN(counts.checks,
                   Exec("UPDATE background_checks SET results = ?, report_purged_at = "
                        "COALESCE(report_purged_at, ?) WHERE team_id = ? AND candidate_id = ?",
                        {P(no_results), P(now), P(team), P(candidate)}));
  ASSIGN_OR_RETURN(
      counts.deliveries,
      Exec(absl::StrCat("UPDATE webhook_deliveries SET body = ? WHERE team_id = ? AND "
                        "length(body) > 0 AND (check_id IN (",
                        ToAbsl(kChecksOf), ") OR object_id IN (", ToAbsl(kCasesOf), "))"),
           {Bytes(std::string()), P(team), P(team), P(candidate), P(team), P(candidate)}));
  // Pending work of its checks is dropped, but a cancellation, which must
  // still reach the vendor (by its subject, the check); no item keeps a payload.
  RETURN_IF_ERROR(Exec(absl::StrCat("DELETE FROM work_items WHERE team_id = ? AND state = "
                                    "'pending' AND kind NOT LIKE '%.cancel' AND subject IN (",
                                    ToAbsl(kChecksOf), ")"),
                       {P(team), P(team), P(candidate)})
                      .status());
  RETURN_IF_ERROR(Exec(absl::StrCat("UPDATE work_items SET payload = ?, last_error = '' WHERE "
                                    "team_id = ? AND subject IN (",
                                    ToAbsl(kChecksOf), ")"),
                       {Bytes(std::string()), P(team), P(team), P(candidate)})
                      .status());
  // Outbound webhook events carry ids and statuses only; what the host
  // ATS answered to them (an excerpt per attempt) may echo anything.
  RETURN_IF_ERROR(
      Exec(absl::StrCat("UPDATE outbound_attempts SET excerpt = '' WHERE team_id = ? AND "
                        "delivery_id IN (SELECT d.delivery_id FROM outbound_deliveries d JOIN "
                        "outbound_events e ON e.team_id = d.team_id AND e.event_id = d.event_id "
                        "WHERE d.team_id = ? AND (e.subject IN (",
                        ToAbsl(kChecksOf),
                        ") OR e.subject IN (SELECT application_id FROM applications WHERE "
                        "team_id = ? AND candidate_id = ?)))"),
           {P(team), P(team), P(team), P(candidate), P(team), P(candidate)})
          .status());
  RETURN_IF_ERROR(ScrubFeedMessages(team, candidate, words));
  // A notification's words name the candidate; it goes with them.
  RETURN_IF_ERROR(Exec("DELETE FROM notifications WHERE team_id = ? AND candidate_id = ?",
                       {P(team), P(candidate)})
                      .status());
  RETURN_IF_ERROR(
      UpdateOne("UPDATE candidates SET first_name = ?, last_name = ?, email = NULL, "
                "phone = NULL, tags = ?, erased_at = ?, updated_at = ? "
                "WHERE team_id = ? AND candidate_id = ?",
                {P(kErasedFirst), P(kErasedLast), P(EncodeStrings({})), P(now), P(now), P(team),
                 P(candidate)},
                "candidate"));
  RETURN_IF_ERROR(RefreshCandidateSort(team, candidate));
  return counts;
}

}  // namespace stagecheck::store
