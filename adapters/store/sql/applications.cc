// Applications and the pipeline overview: the `applications` table, whose
// rows also carry copies of their candidate's name and their latest check
// (schema v6) so that the overview's filters, searches and sorts are one
// index range; every write of a candidate, application or check refreshes
// those copies in the same transaction (RefreshCandidateSort,
// RefreshLatestCheck below).
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
using pages::Keyset;
using pages::PageQuery;
using pages::SortKey;
using rows::Cells;
using rows::Corrupt;
using rows::MapRows;
using rows::P;
using rows::Single;

constexpr std::string_view kApplicationCols =
    "team_id, application_id, candidate_id, job_id, stage_id, status, created_at, updated_at";
absl::StatusOr<Application> ReadApplication(const Row& row) {
  Cells c(row);
  Application a;
  a.team = c.IdOf<TeamId>();
  a.id = c.IdOf<ApplicationId>();
  a.candidate = c.IdOf<CandidateId>();
  a.job = c.IdOf<JobId>();
  a.stage = c.OptId<StageId>();
  std::string status = c.Text();
  std::optional<ApplicationStatus> parsed = ParseApplicationStatus(status);
  if (!parsed) return Corrupt("application status", status);
  a.status = *parsed;
  a.created_at = c.Time();
  a.updated_at = c.Time();
  return a;
}

// ---- The pipeline overview ----------------------------------------------
// Its filters and orders read columns that the writes below keep on the
// application row (portable_migrations.h, v6), so that a page is one index
// range of `applications`; the candidate and the latest check are joined by
// key for the page's rows only.

// lower("first last email"), the name order and what `q` searches.
constexpr std::string_view kCandidateSortExpr =
    "lower(c.first_name || ' ' || c.last_name || ' ' || coalesce(c.email, ''))";

// The status order (ApplicationSort::kStatus), as migration v6 spells it.
int64_t CheckRank(std::optional<CheckStatus> status) {
  if (!status) return 0;
  switch (*status) {
    case CheckStatus::kError:
      return 7;
    case CheckStatus::kComplete:
      return 6;
    case CheckStatus::kPartial:
      return 5;
    case CheckStatus::kInProgress:
      return 4;
    case CheckStatus::kInvited:
      return 3;
    case CheckStatus::kQueued:
      return 2;
    case CheckStatus::kCancelled:
      return 1;
  }
  return 0;
}

const Keyset& KeysetFor(ApplicationSort sort) {
  static const Keyset kUpdated{
      "updated", {{"a.last_activity_at", true}, {"a.application_id"}}, true};
  static const Keyset kName{"name", {{"a.candidate_sort"}, {"a.application_id"}}, false};
  static const Keyset kStatus{
      "status", {{"a.check_rank", true}, {"a.last_activity_at", true}, {"a.application_id"}}, true};
  switch (sort) {
    case ApplicationSort::kName:
      return kName;
    case ApplicationSort::kStatus:
      return kStatus;
    case ApplicationSort::kUpdated:
      break;
  }
  return kUpdated;
}

// "a.team_id = ? AND ..." for every set field of `f` (check_status too unless
// `with_check_status` is false: the counts are per check status).
std::string PipelineWhere(const TeamId& team, const ApplicationFilter& f, bool with_check_status,
                          std::vector<Value>& params) {
  std::string where = "a.team_id = ?";
  params.push_back(P(team));
  auto add = [&](std::string_view clause, Value value) {
    absl::StrAppend(&where, " AND ", ToAbsl(clause));
    params.push_back(std::move(value));
  };
  if (f.job) add("a.job_id = ?", P(*f.job));
  if (f.candidate) add("a.candidate_id = ?", P(*f.candidate));
  if (f.stage) add("a.stage_id = ?", P(*f.stage));
  if (f.status) add("a.status = ?", P(ApplicationStatusName(*f.status)));
  if (f.check_status && with_check_status) add("a.check_status = ?", P(*f.check_status));
  if (f.result) add("a.check_score = ?", P(*f.result));
  if (f.query) {
    // '!' escapes LIKE's wildcards, so `q` matches its own characters only.
    std::string pattern = "%";
    for (char ch : *f.query) {
      if (ch == '%' || ch == '_' || ch == '!') pattern += '!';
      pattern += ch;
    }
    add("a.candidate_sort LIKE lower(CAST(? AS TEXT)) ESCAPE '!'", P(pattern + "%"));
  }
  return where;
}

constexpr std::string_view kPipelineFrom =
    " FROM applications a"
    " JOIN candidates c ON c.team_id = a.team_id AND c.candidate_id = a.candidate_id"
    " LEFT JOIN background_checks k ON k.team_id = a.team_id AND k.check_id = a.latest_check_id";
// kApplicationCols of `a`, then the candidate, the latest check and the activity time.
constexpr std::string_view kPipelineCols =
    "a.team_id, a.application_id, a.candidate_id, a.job_id, a.stage_id, a.status, a.created_at, "
    "a.updated_at, c.first_name, c.last_name, c.email, k.check_id, k.status, k.error_reason, "
    "k.certn_overall_score, k.package_name, k.created_at, k.updated_at, a.last_activity_at";
constexpr size_t kApplicationColCount = 8;

absl::StatusOr<ApplicationSummary> ReadSummary(const Row& row) {
  absl::StatusOr<Application> app = ReadApplication(row);
  if (!app.ok()) return app.status();
  ApplicationSummary s;
  s.application = *std::move(app);
  Cells c(row, kApplicationColCount);
  std::string first = c.Text();
  s.candidate_name = absl::StrCat(first, " ", c.Text());
  s.candidate_email = c.OptText();
  std::optional<CheckId> check = c.OptId<CheckId>();
  std::string status = c.Text();
  // Braced initialisers run left to right, in column order.
  CheckSummary k{CheckId(), CheckStatus::kQueued, c.Text(), c.OptText(), c.Text(), c.Time(),
                 c.Time()};
  s.last_activity_at = c.Time();
  if (check) {
    std::optional<CheckStatus> parsed = ParseStatus(status);
    if (!parsed) return Corrupt("check status", status);
    k.id = *check;
    k.status = *parsed;
    s.latest_check = std::move(k);
  }
  return s;
}

// The cursor of a row: the keyset's columns, selected after kPipelineCols.
Cursor CursorOf(const Keyset& order, const Row& row) {
  Cursor cursor{std::string(order.name), {}};
  Cells c(row, row.size() - order.keys.size());
  for (size_t i = 0; i < order.keys.size(); ++i) cursor.keys.push_back(c.Text());
  return cursor;
}

}  // namespace

// Keeps the applications' copy of their candidate's name and email (v6,
// candidate_sort) in step with a write of the candidate.
absl::Status SqlUnitOfWork::RefreshCandidateSort(const TeamId& team, const CandidateId& candidate) {
  return Exec(absl::StrCat("UPDATE applications SET candidate_sort = (SELECT ",
                           ToAbsl(kCandidateSortExpr),
                           " FROM candidates c WHERE c.team_id = applications.team_id AND "
                           "c.candidate_id = applications.candidate_id) "
                           "WHERE team_id = ? AND candidate_id = ?"),
              {P(team), P(candidate)})
      .status();
}

absl::Status SqlUnitOfWork::InsertApplication(const Application& a) {
  return Insert(
      absl::StrCat("INSERT INTO applications (", ToAbsl(kApplicationCols),
                   ", last_activity_at, candidate_sort) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
                   "coalesce((SELECT ",
                   ToAbsl(kCandidateSortExpr),
                   " FROM candidates c WHERE c.team_id = ? AND c.candidate_id = ?), ''))"),
      {P(a.team), P(a.id), P(a.candidate), P(a.job), P(a.stage), P(ApplicationStatusName(a.status)),
       P(a.created_at), P(a.updated_at), P(a.updated_at), P(a.team), P(a.candidate)},
      "application");
}

absl::StatusOr<Application> SqlUnitOfWork::GetApplication(const TeamId& team,
                                                          const ApplicationId& id) {
  absl::StatusOr<Row> row =
      Single(Query(absl::StrCat("SELECT ", ToAbsl(kApplicationCols),
                                " FROM applications WHERE team_id = ? AND application_id = ?"),
                   {P(team), P(id)}),
             "application");
  if (!row.ok()) return row.status();
  return ReadApplication(*row);
}

absl::Status SqlUnitOfWork::UpdateApplication(const Application& a) {
  return UpdateOne(
      "UPDATE applications SET stage_id = ?, status = ?, updated_at = ?, last_activity_at = "
      "CASE WHEN ? > last_activity_at THEN ? ELSE last_activity_at END "
      "WHERE team_id = ? AND application_id = ?",
      {P(a.stage), P(ApplicationStatusName(a.status)), P(a.updated_at), P(a.updated_at),
       P(a.updated_at), P(a.team), P(a.id)},
      "application");
}

absl::StatusOr<Page<ApplicationSummary>> SqlUnitOfWork::ListApplications(
    const TeamId& team, const ApplicationFilter& filter, const PageRequest& page) {
  const Keyset& order = KeysetFor(filter.sort);
  std::vector<Value> params;
  std::string where = PipelineWhere(team, filter, /*with_check_status=*/true, params);
  std::string select = absl::StrCat("SELECT ", ToAbsl(kPipelineCols));
  for (const SortKey& key : order.keys) absl::StrAppend(&select, ", ", ToAbsl(key.column));
  absl::StrAppend(&select, ToAbsl(kPipelineFrom));
  absl::StatusOr<PageQuery> q = BuildPage(select, where, std::move(params), order, page);
  if (!q.ok()) return q.status();
  absl::StatusOr<std::vector<Row>> rows = Query(q->sql, q->params);
  if (!rows.ok()) return rows.status();
  absl::StatusOr<std::vector<ApplicationSummary>> items =
      MapRows<ApplicationSummary>(*rows, ReadSummary);
  if (!items.ok()) return items.status();
  // The last kept row's keys, read from the row (the stored sort values).
  const int limit = q->limit;
  return FinishPage(*std::move(items), limit,
                    [&](const ApplicationSummary&) { return CursorOf(order, (*rows)[limit - 1]); });
}

absl::StatusOr<std::vector<std::pair<std::string, int64_t>>>
SqlUnitOfWork::CountApplicationsByCheck(const TeamId& team, const ApplicationFilter& filter) {
  std::vector<Value> params;
  std::string where = PipelineWhere(team, filter, /*with_check_status=*/false, params);
  absl::StatusOr<std::vector<Row>> rows =
      Query(absl::StrCat("SELECT a.check_status, COUNT(*) FROM applications a WHERE ", where,
                         " GROUP BY a.check_status ORDER BY a.check_status"),
            params);
  if (!rows.ok()) return rows.status();
  std::vector<std::pair<std::string, int64_t>> counts;
  for (const Row& row : *rows) {
    Cells c(row);
    std::string status = c.Text();
    counts.emplace_back(std::move(status), c.Int());
  }
  return counts;
}

// Keeps the application's copy of its latest check (v6) in step: a new check
// becomes the latest; a change to an older one changes nothing.
absl::Status SqlUnitOfWork::RefreshLatestCheck(const BackgroundCheck& k, bool inserted) {
  if (!k.application) return absl::OkStatus();
  constexpr std::string_view kSet =
      "UPDATE applications SET latest_check_id = ?, check_status = ?, check_rank = ?, "
      "check_score = ?, last_activity_at = CASE WHEN ? > last_activity_at THEN ? "
      "ELSE last_activity_at END WHERE team_id = ? AND application_id = ?";
  absl::StatusOr<int64_t> n =
      inserted ? Exec(kSet,
                      {P(k.id), P(StatusName(k.status)), P(CheckRank(k.status)), P(k.overall_score),
                       P(k.updated_at), P(k.updated_at), P(k.team), P(*k.application)})
               : Exec(absl::StrCat(ToAbsl(kSet), " AND latest_check_id = ?"),
                      {P(k.id), P(StatusName(k.status)), P(CheckRank(k.status)), P(k.overall_score),
                       P(k.updated_at), P(k.updated_at), P(k.team), P(*k.application), P(k.id)});
  return n.status();
}

}  // namespace stagecheck::store
