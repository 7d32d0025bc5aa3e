// Turnaround reads, vendor estimates (check_estimates) and result rule runs
// (result_rule_runs), schema v8: what a check's later life leaves behind.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "adapters/store/sql/rows.h"
#include "adapters/store/sql/unit_of_work.h"
#include "core/status_macros.h"

namespace stagecheck::store {

using rows::Cells;
using rows::P;

absl::StatusOr<std::vector<CompletedCheck>> SqlUnitOfWork::ListCompletedChecks(
    const TeamId& team, absl::Time since, const std::optional<std::string>& package_id, int limit) {
  std::string sql =
      "SELECT check_id, package_id, package_name, created_at, completed_at, certn_overall_score "
      "FROM background_checks WHERE team_id = ? AND status = 'complete' AND completed_at >= ?";
  std::vector<Value> params = {P(team), P(since)};
  if (package_id) {
    sql += " AND package_id = ?";
    params.push_back(P(*package_id));
  }
  // Newest first so a limit keeps the most recent; returned oldest first.
  sql += " ORDER BY completed_at DESC, check_id DESC";
  if (limit > 0) {
    sql += " LIMIT ?";
    params.push_back(P(limit));
  }
  ASSIGN_OR_RETURN(std::vector<Row> rows, Query(sql, params));
  std::reverse(rows.begin(), rows.end());
  std::vector<CompletedCheck> out;
  out.reserve(rows.size());
  for (const Row& row : rows) {
    Cells c(row);
    CompletedCheck k;
    k.id = c.IdOf<CheckId>();
    k.package_id = c.Text();
    k.package_name = c.Text();
    k.sent_at = c.Time();
    k.completed_at = c.Time();
    k.overall_score = c.OptText();
    out.push_back(std::move(k));
  }
  return out;
}

// One statement, and no write when the estimate is the one stored: Certn
// repeats it in every case it returns, and most fetches find nothing new.
absl::Status SqlUnitOfWork::SetCheckEstimate(const TeamId& team, const CheckId& check,
                                             absl::Time estimated_completion) {
  return Exec(
             "INSERT INTO check_estimates (team_id, check_id, estimated_completion_at) "
             "VALUES (?, ?, ?) ON CONFLICT (team_id, check_id) DO UPDATE SET "
             "estimated_completion_at = excluded.estimated_completion_at "
             "WHERE check_estimates.estimated_completion_at <> excluded.estimated_completion_at",
             {P(team), P(check), P(estimated_completion)})
      .status();
}

absl::StatusOr<std::optional<absl::Time>> SqlUnitOfWork::GetCheckEstimate(const TeamId& team,
                                                                          const CheckId& check) {
  ASSIGN_OR_RETURN(std::vector<Row> rows,
                   Query("SELECT estimated_completion_at FROM check_estimates "
                         "WHERE team_id = ? AND check_id = ?",
                         {P(team), P(check)}));
  if (rows.empty()) return std::nullopt;
  return Cells(rows.front()).Time();
}

absl::Status SqlUnitOfWork::InsertResultRuleRun(const ResultRuleRun& run) {
  return Insert(
      "INSERT INTO result_rule_runs (team_id, check_id, activity_id, action, stage_id, detail, at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)",
      {P(run.team), P(run.check), P(run.activity), P(run.action), P(run.stage), P(run.detail),
       P(run.at)},
      "result rule run");
}

absl::StatusOr<std::optional<ResultRuleRun>> SqlUnitOfWork::GetResultRuleRun(const TeamId& team,
                                                                             const CheckId& check) {
  ASSIGN_OR_RETURN(std::vector<Row> rows,
                   Query("SELECT activity_id, action, stage_id, detail, at FROM result_rule_runs "
                         "WHERE team_id = ? AND check_id = ?",
                         {P(team), P(check)}));
  if (rows.empty()) return std::nullopt;
  Cells c(rows.front());
  ResultRuleRun run;
  run.team = team;
  run.check = check;
  run.activity = c.IdOf<ActivityId>();
  run.action = c.Text();
  run.stage = c.OptId<StageId>();
  run.detail = c.Text();
  run.at = c.Time();
  return run;
}

}  // namespace stagecheck::store
