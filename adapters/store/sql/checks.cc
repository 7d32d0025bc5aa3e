// Background checks: the `background_checks` table. The database enforces one
// active check per application and one check per vendor case (unique
// indexes); FindCheckByExternalId and ListQuietChecks are global look-ups.
#include "adapters/store/sql/unit_of_work.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "adapters/store/sql/at_rest.h"
#include "adapters/store/sql/codec.h"
#include "adapters/store/sql/rows.h"
#include "core/status_macros.h"
#include "core/strings.h"

namespace stagecheck::store {
namespace {

using rows::Cells;
using rows::Corrupt;
using rows::MapRows;
using rows::P;

// The terminal statuses, as the partial unique index spells them.
constexpr std::string_view kOpenCheck = "status NOT IN ('complete', 'error', 'cancelled')";

// NULL, not '', when a check waits for nothing (the column came with v5).
std::optional<std::string> WaitingReason(const BackgroundCheck& k) {
  if (k.waiting_reason.empty()) return std::nullopt;
  return k.waiting_reason;
}

constexpr std::string_view kCheckCols =
    "team_id, check_id, candidate_id, application_id, activity_id, package_id, package_name, "
    "send_trigger, requested_by, status, error_reason, certn_case_id, certn_short_id, "
    "certn_overall_status, results_url, report_file_id, report_saved_as, results, history, "
    "created_at, ordered_at, completed_at, updated_at, certn_overall_score, waiting_reason, "
    "waiting_until, "
    "cancel_requested_at, cancel_requested_by, cancel_reason, reordered_from";
absl::StatusOr<BackgroundCheck> ReadCheck(const Row& row, Cipher* at_rest) {
  Cells c(row);
  BackgroundCheck k;
  k.team = c.IdOf<TeamId>();
  k.id = c.IdOf<CheckId>();
  k.candidate = c.IdOf<CandidateId>();
  k.application = c.OptId<ApplicationId>();
  k.activity = c.OptId<ActivityId>();
  k.package_id = c.Text();
  k.package_name = c.Text();
  std::string trigger = c.Text();
  std::optional<SendTrigger> parsed_trigger = ParseTrigger(trigger);
  if (!parsed_trigger) return Corrupt("send trigger", trigger);
  k.trigger = *parsed_trigger;
  k.requested_by = c.IdOf<UserId>();
  std::string status = c.Text();
  std::optional<CheckStatus> parsed_status = ParseStatus(status);
  if (!parsed_status) return Corrupt("check status", status);
  k.status = *parsed_status;
  k.error_reason = c.Text();
  k.external_id = c.OptText();
  k.external_short_id = c.OptText();
  k.external_status = c.Text();
  k.results_url = c.OptText();
  k.report_file_id = c.OptText();
  k.report_saved_as = c.OptId<FileId>();
  absl::StatusOr<std::string> plain_results = OpenResults(at_rest, c.Text());
  if (!plain_results.ok()) return plain_results.status();
  absl::StatusOr<std::vector<CheckResult>> results = DecodeResults(*plain_results);
  if (!results.ok()) return results.status();
  k.results = *std::move(results);
  absl::StatusOr<std::vector<StatusTransition>> history = DecodeHistory(c.Text());
  if (!history.ok()) return history.status();
  k.history = *std::move(history);
  k.created_at = c.Time();
  k.ordered_at = c.OptTime();
  k.completed_at = c.OptTime();
  k.updated_at = c.Time();
  k.overall_score = c.OptText();
  k.waiting_reason = c.Text();
  k.waiting_until = c.OptTime();
  k.cancel_requested_at = c.OptTime();
  k.cancel_requested_by = c.OptId<UserId>();
  k.cancel_reason = c.Text();
  k.reordered_from = c.OptId<CheckId>();
  return k;
}

}  // namespace

absl::Status SqlUnitOfWork::InsertCheck(const BackgroundCheck& k) {
  ASSIGN_OR_RETURN(std::string results, Seal(at_rest_, EncodeResults(k.results)));
  // One conflict clause covers the key, the Certn case id and the partial
  // "one active check per application" index.
  RETURN_IF_ERROR(Insert(absl::StrCat("INSERT INTO background_checks (", ToAbsl(kCheckCols),
                                      ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                                      "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                         {P(k.team),
                          P(k.id),
                          P(k.candidate),
                          P(k.application),
                          P(k.activity),
                          P(k.package_id),
                          P(k.package_name),
                          P(TriggerName(k.trigger)),
                          P(k.requested_by),
                          P(StatusName(k.status)),
                          P(k.error_reason),
                          P(k.external_id),
                          P(k.external_short_id),
                          P(k.external_status),
                          P(k.results_url),
                          P(k.report_file_id),
                          P(k.report_saved_as),
                          P(results),
                          P(EncodeHistory(k.history)),
                          P(k.created_at),
                          P(k.ordered_at),
                          P(k.completed_at),
                          P(k.updated_at),
                          P(k.overall_score),
                          P(WaitingReason(k)),
                          P(k.waiting_until),
                          P(k.cancel_requested_at),
                          P(k.cancel_requested_by),
                          P(k.cancel_reason),
                          P(k.reordered_from)},
                         "check (or an active check for this application, or this Certn case)"));
  return RefreshLatestCheck(k, /*inserted=*/true);
}

absl::StatusOr<std::vector<BackgroundCheck>> SqlUnitOfWork::QueryChecks(
    std::string_view where, std::span<const Value> params) {
  absl::StatusOr<std::vector<Row>> rows = Query(
      absl::StrCat("SELECT ", ToAbsl(kCheckCols), " FROM background_checks WHERE ", ToAbsl(where)),
      params);
  if (!rows.ok()) return rows.status();
  return MapRows<BackgroundCheck>(*rows,
                                  [this](const Row& row) { return ReadCheck(row, at_rest_); });
}

absl::StatusOr<BackgroundCheck> SqlUnitOfWork::GetCheck(const TeamId& team, const CheckId& id) {
  return GetOneCheck(team, id, "");
}

absl::StatusOr<BackgroundCheck> SqlUnitOfWork::GetCheckForUpdate(const TeamId& team,
                                                                 const CheckId& id) {
  if (absl::Status s = RefuseInReadOnly(); !s.ok()) return s;
  return GetOneCheck(team, id, dialect_.row_lock_suffix);
}

absl::StatusOr<BackgroundCheck> SqlUnitOfWork::GetOneCheck(const TeamId& team, const CheckId& id,
                                                           std::string_view lock_suffix) {
  const Value params[] = {P(team), P(id)};
  absl::StatusOr<std::vector<BackgroundCheck>> checks =
      QueryChecks(absl::StrCat("team_id = ? AND check_id = ?", ToAbsl(lock_suffix)), params);
  if (!checks.ok()) return checks.status();
  if (checks->empty()) return absl::NotFoundError("check not found");
  return std::move(checks->front());
}

absl::Status SqlUnitOfWork::UpdateCheck(const BackgroundCheck& k) {
  ASSIGN_OR_RETURN(std::string results, Seal(at_rest_, EncodeResults(k.results)));
  // The case id and the one-active index may reject the update.
  RETURN_IF_ERROR(UpdateOne(
      "UPDATE background_checks SET activity_id = ?, package_id = ?, package_name = ?, "
      "send_trigger = ?, requested_by = ?, status = ?, error_reason = ?, certn_case_id = ?, "
      "certn_short_id = ?, certn_overall_status = ?, results_url = ?, report_file_id = ?, "
      "report_saved_as = ?, results = ?, history = ?, ordered_at = ?, completed_at = ?, "
      "updated_at = ?, certn_overall_score = ?, waiting_reason = ?, waiting_until = ?, "
      "cancel_requested_at = ?, cancel_requested_by = ?, cancel_reason = ? "
      "WHERE team_id = ? AND check_id = ?",
      {P(k.activity),
       P(k.package_id),
       P(k.package_name),
       P(TriggerName(k.trigger)),
       P(k.requested_by),
       P(StatusName(k.status)),
       P(k.error_reason),
       P(k.external_id),
       P(k.external_short_id),
       P(k.external_status),
       P(k.results_url),
       P(k.report_file_id),
       P(k.report_saved_as),
       P(results),
       P(EncodeHistory(k.history)),
       P(k.ordered_at),
       P(k.completed_at),
       P(k.updated_at),
       P(k.overall_score),
       P(WaitingReason(k)),
       P(k.waiting_until),
       P(k.cancel_requested_at),
       P(k.cancel_requested_by),
       P(k.cancel_reason),
       P(k.team),
       P(k.id)},
      "check", /*guarded=*/true));
  return RefreshLatestCheck(k, /*inserted=*/false);
}

absl::Status SqlUnitOfWork::TouchCheck(const TeamId& team, const CheckId& id,
                                       absl::Time updated_at) {
  // One column: UpdateCheck's statement sets every column, so the table's
  // every index was maintained again, the results sealed again and (on
  // PostgreSQL) a savepoint taken, for an answer that changed nothing.
  return UpdateOne("UPDATE background_checks SET updated_at = ? WHERE team_id = ? AND check_id = ?",
                   {P(updated_at), P(team), P(id)}, "check");
}

absl::StatusOr<std::optional<BackgroundCheck>> SqlUnitOfWork::FindActiveCheck(
    const TeamId& team, const ApplicationId& application) {
  const Value params[] = {P(team), P(application)};
  absl::StatusOr<std::vector<BackgroundCheck>> checks = QueryChecks(
      absl::StrCat("team_id = ? AND application_id = ? AND ", ToAbsl(kOpenCheck)), params);
  if (!checks.ok()) return checks.status();
  if (checks->empty()) return std::optional<BackgroundCheck>();
  return std::optional<BackgroundCheck>(std::move(checks->front()));
}

absl::StatusOr<std::vector<BackgroundCheck>> SqlUnitOfWork::ListChecksForApplication(
    const TeamId& team, const ApplicationId& application) {
  const Value params[] = {P(team), P(application)};
  return QueryChecks("team_id = ? AND application_id = ? ORDER BY created_at DESC, check_id DESC",
                     params);
}

absl::StatusOr<std::vector<BackgroundCheck>> SqlUnitOfWork::ListChecksForCandidate(
    const TeamId& team, const CandidateId& candidate) {
  const Value params[] = {P(team), P(candidate)};
  return QueryChecks("team_id = ? AND candidate_id = ? ORDER BY created_at DESC, check_id DESC",
                     params);
}

absl::StatusOr<BackgroundCheck> SqlUnitOfWork::FindCheckByExternalId(
    const std::string& external_id) {
  const Value params[] = {P(external_id)};
  absl::StatusOr<std::vector<BackgroundCheck>> checks = QueryChecks("certn_case_id = ?", params);
  if (!checks.ok()) return checks.status();
  if (checks->empty()) return absl::NotFoundError("no check for this Certn case");
  return std::move(checks->front());
}

absl::StatusOr<std::vector<BackgroundCheck>> SqlUnitOfWork::ListQuietChecks(absl::Time before,
                                                                            int limit) {
  const Value params[] = {P(before), int64_t{PageLimit(limit)}};
  return QueryChecks(absl::StrCat("certn_case_id IS NOT NULL AND ", ToAbsl(kOpenCheck),
                                  " AND updated_at < ? ORDER BY updated_at, team_id, check_id "
                                  "LIMIT ?"),
                     params);
}

absl::StatusOr<std::vector<BackgroundCheck>> SqlUnitOfWork::ListQuietChecksOfTeam(
    const TeamId& team, absl::Time before, int limit) {
  const Value params[] = {P(team), P(before), int64_t{PageLimit(limit)}};
  return QueryChecks(
      absl::StrCat("team_id = ? AND certn_case_id IS NOT NULL AND ", ToAbsl(kOpenCheck),
                   " AND updated_at < ? ORDER BY updated_at, check_id LIMIT ?"),
      params);
}

absl::StatusOr<std::vector<BackgroundCheck>> SqlUnitOfWork::ListOpenChecksOfTeam(
    const TeamId& team, const std::optional<CheckId>& after, int limit) {
  const Value params[] = {P(team), P(after ? after->value() : std::string()),
                          int64_t{PageLimit(limit)}};
  return QueryChecks(absl::StrCat("team_id = ? AND check_id > ? AND ", ToAbsl(kOpenCheck),
                                  " ORDER BY check_id LIMIT ?"),
                     params);
}

}  // namespace stagecheck::store
