// Jobs and their interview plans: the `jobs` table. A plan (its stages and
// activities, as JSON) lives on its job's row under an optimistic version,
// written only by SavePlan.
#include "adapters/store/sql/unit_of_work.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "adapters/store/sql/codec.h"
#include "adapters/store/sql/pages.h"
#include "adapters/store/sql/rows.h"
#include "core/strings.h"

namespace stagecheck::store {
namespace {

using pages::BuildPage;
using pages::FinishPage;
using pages::PageQuery;
using rows::Cells;
using rows::MapRows;
using rows::P;
using rows::Single;

constexpr std::string_view kJobCols =
    "team_id, job_id, title, default_package_id, tags, created_at";
absl::StatusOr<Job> ReadJob(const Row& row) {
  Cells c(row);
  Job j;
  j.team = c.IdOf<TeamId>();
  j.id = c.IdOf<JobId>();
  j.title = c.Text();
  j.default_package_id = c.OptText();
  absl::StatusOr<std::vector<std::string>> tags = DecodeStrings(c.Text());
  if (!tags.ok()) return tags.status();
  j.tags = *std::move(tags);
  j.created_at = c.Time();
  return j;
}

}  // namespace

absl::Status SqlUnitOfWork::InsertJob(const Job& job) {
  return Insert(absl::StrCat("INSERT INTO jobs (", ToAbsl(kJobCols), ") VALUES (?, ?, ?, ?, ?, ?)"),
                {P(job.team), P(job.id), P(job.title), P(job.default_package_id),
                 P(EncodeStrings(job.tags)), P(job.created_at)},
                "job");
}

absl::StatusOr<Job> SqlUnitOfWork::GetJob(const TeamId& team, const JobId& job) {
  absl::StatusOr<Row> row = Single(
      Query(
          absl::StrCat("SELECT ", ToAbsl(kJobCols), " FROM jobs WHERE team_id = ? AND job_id = ?"),
          {P(team), P(job)}),
      "job");
  if (!row.ok()) return row.status();
  return ReadJob(*row);
}

absl::Status SqlUnitOfWork::UpdateJob(const Job& job) {
  // The plan columns belong to SavePlan and its version check.
  return UpdateOne(
      "UPDATE jobs SET title = ?, default_package_id = ?, tags = ? "
      "WHERE team_id = ? AND job_id = ?",
      {P(job.title), P(job.default_package_id), P(EncodeStrings(job.tags)), P(job.team), P(job.id)},
      "job");
}

absl::StatusOr<Page<Job>> SqlUnitOfWork::ListJobs(const TeamId& team, const PageRequest& page) {
  absl::StatusOr<PageQuery> q = BuildPage(absl::StrCat("SELECT ", ToAbsl(kJobCols), " FROM jobs"),
                                          "team_id = ?", {P(team)}, "created_at", "job_id", page);
  if (!q.ok()) return q.status();
  absl::StatusOr<std::vector<Row>> rows = Query(q->sql, q->params);
  if (!rows.ok()) return rows.status();
  absl::StatusOr<std::vector<Job>> jobs = MapRows<Job>(*rows, ReadJob);
  if (!jobs.ok()) return jobs.status();
  return FinishPage(*std::move(jobs), q->limit,
                    [](const Job& j) { return TimeCursor(j.created_at, j.id.value()); });
}

absl::StatusOr<InterviewPlan> SqlUnitOfWork::GetPlan(const TeamId& team, const JobId& job) {
  absl::StatusOr<Row> row =
      Single(Query("SELECT plan_stages, plan_version FROM jobs WHERE team_id = ? AND job_id = ?",
                   {P(team), P(job)}),
             "job");
  if (!row.ok()) return row.status();
  Cells c(*row);
  absl::StatusOr<std::vector<Stage>> stages = DecodeStages(c.Text());
  if (!stages.ok()) return stages.status();
  return InterviewPlan(team, job, *std::move(stages), c.Int());
}

absl::Status SqlUnitOfWork::SavePlan(InterviewPlan& plan) {
  absl::StatusOr<int64_t> n = Exec(
      "UPDATE jobs SET plan_stages = ?, plan_version = plan_version + 1 "
      "WHERE team_id = ? AND job_id = ? AND plan_version = ?",
      {P(EncodeStages(plan.stages())), P(plan.team()), P(plan.job()), P(plan.version())});
  if (!n.ok()) return n.status();
  if (*n == 1) {
    plan.set_version(plan.version() + 1);
    return absl::OkStatus();
  }
  // Nothing matched: either the job is gone or someone saved first.
  absl::StatusOr<std::vector<Row>> exists =
      Query("SELECT 1 FROM jobs WHERE team_id = ? AND job_id = ?", {P(plan.team()), P(plan.job())});
  if (!exists.ok()) return exists.status();
  if (exists->empty()) return absl::NotFoundError("job not found");
  return absl::AbortedError("the interview plan was changed meanwhile; reload and retry");
}

}  // namespace stagecheck::store
