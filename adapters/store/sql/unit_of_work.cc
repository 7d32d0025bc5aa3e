#include "adapters/store/sql/unit_of_work.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "adapters/store/sql/codec.h"
#include "adapters/store/sql/rows.h"
#include "core/strings.h"

namespace stagecheck::store {
namespace {

using rows::Bytes;
using rows::Cells;
using rows::Corrupt;
using rows::P;

// The terminal statuses, as the partial unique index spells them.
constexpr std::string_view kOpenCheck =
    "status NOT IN ('complete', 'error', 'cancelled')";

// ---- Keyset pages ---------------------------------------------------------

// Builds "WHERE <filter> [AND (sort, id) < cursor] ORDER BY sort DESC, id DESC
// LIMIT n+1" so every list is newest first and stable under inserts.
struct PageQuery {
  std::string sql;
  std::vector<Value> params;
  int limit = 0;
};

absl::StatusOr<PageQuery> BuildPage(std::string_view select_from, std::string_view filter,
                                    std::vector<Value> params, std::string_view sort_col,
                                    std::string_view id_col, const PageRequest& page) {
  absl::StatusOr<std::optional<Cursor>> cursor = DecodeCursor(page.after);
  if (!cursor.ok()) return cursor.status();
  PageQuery q;
  q.limit = PageLimit(page.limit);
  q.sql = absl::StrCat(ToAbsl(select_from), " WHERE ", ToAbsl(filter));
  if (cursor->has_value()) {
    absl::StrAppend(&q.sql, " AND (", ToAbsl(sort_col), " < ? OR (", ToAbsl(sort_col),
                    " = ? AND ", ToAbsl(id_col), " < ?))");
    params.push_back((*cursor)->at_us);
    params.push_back((*cursor)->at_us);
    params.push_back((*cursor)->id);
  }
  absl::StrAppend(&q.sql, " ORDER BY ", ToAbsl(sort_col), " DESC, ", ToAbsl(id_col),
                  " DESC LIMIT ?");
  params.push_back(int64_t{q.limit + 1});
  q.params = std::move(params);
  return q;
}

// Trims the look-ahead row and sets the cursor of the next page.
template <typename T, typename KeyFn>
Page<T> FinishPage(std::vector<T> items, int limit, KeyFn key) {
  Page<T> page;
  if (static_cast<int>(items.size()) > limit) {
    items.resize(limit);
    page.next = EncodeCursor(key(items.back()));
  }
  page.items = std::move(items);
  return page;
}

// ---- Row mappers ----------------------------------------------------------

constexpr std::string_view kTeamCols = "team_id, name, default_package_id, created_at";
Team ReadTeam(const Row& row) {
  Cells c(row);
  Team t;
  t.id = c.IdOf<TeamId>();
  t.name = c.Text();
  t.default_package_id = c.OptText();
  t.created_at = c.Time();
  return t;
}

constexpr std::string_view kIntegrationCols =
    "team_id, region, api_key_encrypted, api_key_last4, webhook_secret_encrypted, "
    "previous_webhook_secret_encrypted, previous_secret_valid_until, status, status_reason, "
    "certn_team_id, verified_at, last_delivery_at, updated_at, requests_per_minute, requests_per_day";
absl::StatusOr<CertnIntegration> ReadIntegration(const Row& row) {
  Cells c(row);
  CertnIntegration i;
  i.team = c.IdOf<TeamId>();
  std::string region = c.Text();
  std::optional<CertnRegion> parsed_region = ParseRegion(region);
  if (!parsed_region) return Corrupt("region", region);
  i.region = *parsed_region;
  i.api_key_encrypted = c.Text();
  i.api_key_last4 = c.Text();
  i.webhook_secret_encrypted = c.Text();
  i.previous_webhook_secret_encrypted = c.OptText();
  i.previous_secret_valid_until = c.OptTime();
  std::string status = c.Text();
  std::optional<ConnectionStatus> parsed_status = ParseConnectionStatus(status);
  if (!parsed_status) return Corrupt("connection status", status);
  i.status = *parsed_status;
  i.status_reason = c.Text();
  i.certn_team_id = c.OptText();
  i.verified_at = c.OptTime();
  i.last_delivery_at = c.OptTime();
  i.updated_at = c.Time();
  i.requests_per_minute = static_cast<int>(c.Int());
  i.requests_per_day = static_cast<int>(c.Int());
  return i;
}

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

constexpr std::string_view kCandidateCols =
    "team_id, candidate_id, first_name, last_name, email, phone, tags, created_at, updated_at";
absl::StatusOr<Candidate> ReadCandidate(const Row& row) {
  Cells c(row);
  Candidate d;
  d.team = c.IdOf<TeamId>();
  d.id = c.IdOf<CandidateId>();
  d.first_name = c.Text();
  d.last_name = c.Text();
  d.email = c.OptText();
  d.phone = c.OptText();
  absl::StatusOr<std::vector<std::string>> tags = DecodeStrings(c.Text());
  if (!tags.ok()) return tags.status();
  d.tags = *std::move(tags);
  d.created_at = c.Time();
  d.updated_at = c.Time();
  return d;
}

constexpr std::string_view kFileCols =
    "team_id, file_id, candidate_id, name, content_type, size, sha256_hex, created_at";
CandidateFile ReadFile(const Row& row) {
  Cells c(row);
  CandidateFile f;
  f.team = c.IdOf<TeamId>();
  f.id = c.IdOf<FileId>();
  f.candidate = c.IdOf<CandidateId>();
  f.name = c.Text();
  f.content_type = c.Text();
  f.size = c.Int();
  f.sha256_hex = c.Text();
  f.created_at = c.Time();
  return f;
}

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

// NULL, not '', when a check waits for nothing (the column came with v5).
std::optional<std::string> WaitingReason(const BackgroundCheck& k) {
  if (k.waiting_reason.empty()) return std::nullopt;
  return k.waiting_reason;
}

constexpr std::string_view kCheckCols =
    "team_id, check_id, candidate_id, application_id, activity_id, package_id, package_name, "
    "send_trigger, requested_by, status, error_reason, certn_case_id, certn_short_id, "
    "certn_overall_status, results_url, report_file_id, report_saved_as, results, history, "
    "created_at, ordered_at, completed_at, updated_at, certn_overall_score, waiting_reason, waiting_until, "
    "cancel_requested_at, cancel_requested_by, cancel_reason, reordered_from";
absl::StatusOr<BackgroundCheck> ReadCheck(const Row& row) {
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
  k.certn_case_id = c.OptText();
  k.certn_short_id = c.OptText();
  k.certn_overall_status = c.Text();
  k.results_url = c.OptText();
  k.report_file_id = c.OptText();
  k.report_saved_as = c.OptId<FileId>();
  absl::StatusOr<std::vector<CheckResult>> results = DecodeResults(c.Text());
  if (!results.ok()) return results.status();
  k.results = *std::move(results);
  absl::StatusOr<std::vector<StatusTransition>> history = DecodeHistory(c.Text());
  if (!history.ok()) return history.status();
  k.history = *std::move(history);
  k.created_at = c.Time();
  k.ordered_at = c.OptTime();
  k.completed_at = c.OptTime();
  k.updated_at = c.Time();
  k.certn_overall_score = c.OptText();
  k.waiting_reason = c.Text();
  k.waiting_until = c.OptTime();
  k.cancel_requested_at = c.OptTime();
  k.cancel_requested_by = c.OptId<UserId>();
  k.cancel_reason = c.Text();
  k.reordered_from = c.OptId<CheckId>();
  return k;
}

constexpr std::string_view kFeedCols =
    "team_id, event_id, candidate_id, application_id, check_id, at, type, actor, message";
FeedEvent ReadFeedEvent(const Row& row) {
  Cells c(row);
  FeedEvent e;
  e.team = c.IdOf<TeamId>();
  e.id = c.IdOf<FeedEventId>();
  e.candidate = c.IdOf<CandidateId>();
  e.application = c.OptId<ApplicationId>();
  e.check = c.OptId<CheckId>();
  e.at = c.Time();
  e.type = c.Text();
  e.actor = c.Text();
  e.message = c.Text();
  return e;
}

constexpr std::string_view kDeliveryCols =
    "team_id, delivery_id, received_at, scheme, event_type, object_type, object_id, body, "
    "verdict, check_id, headers";
// Deliveries no team could be matched to are stored under the empty team id,
// so that the key still starts with team_id.
constexpr char kNoTeam[] = "";
absl::StatusOr<WebhookDelivery> ReadDelivery(const Row& row) {
  Cells c(row);
  WebhookDelivery d;
  std::string team = c.Text();
  if (team != kNoTeam) d.team = TeamId(team);
  d.delivery_id = c.Text();
  d.received_at = c.Time();
  d.scheme = c.Text();
  d.event_type = c.Text();
  d.object_type = c.Text();
  d.object_id = c.Text();
  d.body = c.Text();
  std::string verdict = c.Text();
  std::optional<DeliveryVerdict> parsed = ParseVerdict(verdict);
  if (!parsed) return Corrupt("delivery verdict", verdict);
  d.verdict = *parsed;
  d.check = c.OptId<CheckId>();
  d.headers = c.Text();
  return d;
}

constexpr std::string_view kWorkCols =
    "team_id, work_id, kind, subject, payload, dedupe_key, run_at, attempts, last_error, state";
WorkItem ReadWork(const Row& row) {
  Cells c(row);
  WorkItem w;
  w.team = c.IdOf<TeamId>();
  w.id = c.IdOf<WorkItemId>();
  w.kind = c.Text();
  w.subject = c.Text();
  w.payload = c.Text();
  w.dedupe_key = c.OptText();
  w.run_at = c.Time();
  w.attempts = static_cast<int>(c.Int());
  w.last_error = c.Text();
  w.state = c.Text();
  return w;
}

// Maps every row, stopping at the first that cannot be read.
template <typename T, typename Fn>
absl::StatusOr<std::vector<T>> MapRows(const std::vector<Row>& rows, Fn read) {
  std::vector<T> out;
  out.reserve(rows.size());
  for (const Row& row : rows) {
    absl::StatusOr<T> item = read(row);
    if (!item.ok()) return item.status();
    out.push_back(*std::move(item));
  }
  return out;
}

// The one row a keyed SELECT finds, or NotFound.
absl::StatusOr<Row> Single(absl::StatusOr<std::vector<Row>> rows, std::string_view what) {
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return absl::NotFoundError(absl::StrCat(ToAbsl(what), " not found"));
  return std::move(rows->front());
}

}  // namespace

// ---- Plumbing -------------------------------------------------------------

absl::Status SqlUnitOfWork::RefuseInReadOnly() const {
  if (!read_only_) return absl::OkStatus();
  return absl::FailedPreconditionError("store: a write inside a read-only transaction");
}

absl::StatusOr<int64_t> SqlUnitOfWork::Exec(std::string_view sql, Params params) {
  if (absl::Status s = RefuseInReadOnly(); !s.ok()) return s;
  return conn_.Exec(dialect_.Sql(sql), std::span<const Value>(params.begin(), params.size()));
}

absl::StatusOr<std::vector<Row>> SqlUnitOfWork::Query(std::string_view sql, Params params) {
  return Query(sql, std::span<const Value>(params.begin(), params.size()));
}

absl::StatusOr<std::vector<Row>> SqlUnitOfWork::Query(std::string_view sql,
                                                      std::span<const Value> params) {
  return conn_.Query(dialect_.Sql(sql), params);
}

absl::StatusOr<int64_t> SqlUnitOfWork::ExecGuarded(std::string_view sql, Params params) {
  if (!dialect_.error_aborts_transaction) return Exec(sql, params);
  constexpr std::string_view kSavepoint = "stagecheck_stmt";
  if (absl::Status s = conn_.Savepoint(kSavepoint); !s.ok()) return s;
  absl::StatusOr<int64_t> n = Exec(sql, params);
  absl::Status end = n.ok() ? conn_.ReleaseSavepoint(kSavepoint)
                            : conn_.RollbackToSavepoint(kSavepoint);
  if (!n.ok()) {
    if (end.ok()) end = conn_.ReleaseSavepoint(kSavepoint);
    // A failed rollback means the session is gone; report that instead.
    return end.ok() ? n.status() : end;
  }
  if (!end.ok()) return end;
  return n;
}

absl::Status SqlUnitOfWork::Insert(std::string_view sql, Params params, std::string_view what) {
  absl::StatusOr<int64_t> n =
      Exec(absl::StrCat(ToAbsl(sql), " ON CONFLICT DO NOTHING"), params);
  if (!n.ok()) return n.status();
  if (*n == 0) return absl::AlreadyExistsError(absl::StrCat(ToAbsl(what), " already exists"));
  return absl::OkStatus();
}

absl::Status SqlUnitOfWork::UpdateOne(std::string_view sql, Params params, std::string_view what,
                                      bool guarded) {
  absl::StatusOr<int64_t> n = guarded ? ExecGuarded(sql, params) : Exec(sql, params);
  if (!n.ok()) return n.status();
  if (*n == 0) return absl::NotFoundError(absl::StrCat(ToAbsl(what), " not found"));
  return absl::OkStatus();
}

// ---- Teams, users, tokens -------------------------------------------------

absl::Status SqlUnitOfWork::InsertTeam(const Team& team) {
  return Insert(
      "INSERT INTO teams (team_id, name, default_package_id, created_at) VALUES (?, ?, ?, ?)",
      {P(team.id), P(team.name), P(team.default_package_id), P(team.created_at)}, "team");
}

absl::StatusOr<Team> SqlUnitOfWork::GetTeam(const TeamId& team) {
  absl::StatusOr<Row> row =
      Single(Query(absl::StrCat("SELECT ", ToAbsl(kTeamCols), " FROM teams WHERE team_id = ?"),
                   {P(team)}),
             "team");
  if (!row.ok()) return row.status();
  return ReadTeam(*row);
}

absl::Status SqlUnitOfWork::UpdateTeam(const Team& team) {
  return UpdateOne("UPDATE teams SET name = ?, default_package_id = ? WHERE team_id = ?",
                   {P(team.name), P(team.default_package_id), P(team.id)}, "team");
}

absl::Status SqlUnitOfWork::InsertUser(const User& user) {
  return Insert(
      "INSERT INTO users (team_id, user_id, name, role, created_at) VALUES (?, ?, ?, ?, ?)",
      {P(user.team), P(user.id), P(user.name), P(RoleName(user.role)), P(user.created_at)},
      "user");
}

absl::Status SqlUnitOfWork::InsertToken(const ApiToken& token) {
  return Insert(
      "INSERT INTO api_tokens (team_id, token_hash, user_id, role, created_at) "
      "VALUES (?, ?, ?, ?, ?)",
      {P(token.team), P(token.token_hash), P(token.user), P(RoleName(token.role)),
       P(token.created_at)},
      "token");
}

absl::StatusOr<Principal> SqlUnitOfWork::FindPrincipalByTokenHash(const std::string& token_hash) {
  absl::StatusOr<Row> row = Single(
      Query("SELECT team_id, user_id, role FROM api_tokens WHERE token_hash = ?", {P(token_hash)}),
      "token");
  if (!row.ok()) return row.status();
  Cells c(*row);
  Principal p;
  p.team = c.IdOf<TeamId>();
  p.user = c.IdOf<UserId>();
  std::string role = c.Text();
  std::optional<Role> parsed = ParseRole(role);
  if (!parsed) return Corrupt("role", role);
  p.role = *parsed;
  return p;
}

// ---- Certn integration ----------------------------------------------------

absl::Status SqlUnitOfWork::UpsertIntegration(const CertnIntegration& i) {
  // certn_team_id is unique across teams: the upsert may still fail on it.
  absl::StatusOr<int64_t> n = ExecGuarded(
      absl::StrCat(
          "INSERT INTO integrations (", ToAbsl(kIntegrationCols),
          ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (team_id) DO UPDATE SET "
          "region = excluded.region, api_key_encrypted = excluded.api_key_encrypted, "
          "api_key_last4 = excluded.api_key_last4, "
          "webhook_secret_encrypted = excluded.webhook_secret_encrypted, "
          "previous_webhook_secret_encrypted = excluded.previous_webhook_secret_encrypted, "
          "previous_secret_valid_until = excluded.previous_secret_valid_until, "
          "status = excluded.status, status_reason = excluded.status_reason, "
          "certn_team_id = excluded.certn_team_id, verified_at = excluded.verified_at, "
          "last_delivery_at = excluded.last_delivery_at, updated_at = excluded.updated_at, "
          "requests_per_minute = excluded.requests_per_minute, requests_per_day = excluded.requests_per_day"),
      {P(i.team), P(RegionName(i.region)), Bytes(i.api_key_encrypted), P(i.api_key_last4),
       Bytes(i.webhook_secret_encrypted), Bytes(i.previous_webhook_secret_encrypted),
       P(i.previous_secret_valid_until), P(ConnectionStatusName(i.status)), P(i.status_reason),
       P(i.certn_team_id), P(i.verified_at), P(i.last_delivery_at), P(i.updated_at),
       P(i.requests_per_minute), P(i.requests_per_day)});
  return n.status();
}

absl::StatusOr<CertnIntegration> SqlUnitOfWork::GetIntegration(const TeamId& team) {
  absl::StatusOr<Row> row = Single(
      Query(absl::StrCat("SELECT ", ToAbsl(kIntegrationCols),
                         " FROM integrations WHERE team_id = ?"),
            {P(team)}),
      "integration");
  if (!row.ok()) return row.status();
  return ReadIntegration(*row);
}

absl::StatusOr<TeamId> SqlUnitOfWork::FindTeamByCertnTeamId(const std::string& certn_team_id) {
  absl::StatusOr<Row> row =
      Single(Query("SELECT team_id FROM integrations WHERE certn_team_id = ?", {P(certn_team_id)}),
             "certn team");
  if (!row.ok()) return row.status();
  return Cells(*row).IdOf<TeamId>();
}

// ---- Jobs and plans -------------------------------------------------------

absl::Status SqlUnitOfWork::InsertJob(const Job& job) {
  return Insert(
      absl::StrCat("INSERT INTO jobs (", ToAbsl(kJobCols), ") VALUES (?, ?, ?, ?, ?, ?)"),
      {P(job.team), P(job.id), P(job.title), P(job.default_package_id), P(EncodeStrings(job.tags)),
       P(job.created_at)},
      "job");
}

absl::StatusOr<Job> SqlUnitOfWork::GetJob(const TeamId& team, const JobId& job) {
  absl::StatusOr<Row> row = Single(
      Query(absl::StrCat("SELECT ", ToAbsl(kJobCols),
                         " FROM jobs WHERE team_id = ? AND job_id = ?"),
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
      {P(job.title), P(job.default_package_id), P(EncodeStrings(job.tags)), P(job.team),
       P(job.id)},
      "job");
}

absl::StatusOr<Page<Job>> SqlUnitOfWork::ListJobs(const TeamId& team, const PageRequest& page) {
  absl::StatusOr<PageQuery> q =
      BuildPage(absl::StrCat("SELECT ", ToAbsl(kJobCols), " FROM jobs"), "team_id = ?",
                {P(team)}, "created_at", "job_id", page);
  if (!q.ok()) return q.status();
  absl::StatusOr<std::vector<Row>> rows = Query(q->sql, q->params);
  if (!rows.ok()) return rows.status();
  absl::StatusOr<std::vector<Job>> jobs = MapRows<Job>(*rows, ReadJob);
  if (!jobs.ok()) return jobs.status();
  return FinishPage(*std::move(jobs), q->limit, [](const Job& j) {
    return Cursor{ToMicros(j.created_at), j.id.value()};
  });
}

absl::StatusOr<InterviewPlan> SqlUnitOfWork::GetPlan(const TeamId& team, const JobId& job) {
  absl::StatusOr<Row> row = Single(
      Query("SELECT plan_stages, plan_version FROM jobs WHERE team_id = ? AND job_id = ?",
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

// ---- Candidates and files -------------------------------------------------

absl::Status SqlUnitOfWork::InsertCandidate(const Candidate& d) {
  return Insert(absl::StrCat("INSERT INTO candidates (", ToAbsl(kCandidateCols),
                             ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                {P(d.team), P(d.id), P(d.first_name), P(d.last_name), P(d.email), P(d.phone),
                 P(EncodeStrings(d.tags)), P(d.created_at), P(d.updated_at)},
                "candidate");
}

absl::StatusOr<Candidate> SqlUnitOfWork::GetCandidate(const TeamId& team, const CandidateId& id) {
  return GetOneCandidate(team, id, "");
}

absl::StatusOr<Candidate> SqlUnitOfWork::GetCandidateForUpdate(const TeamId& team,
                                                               const CandidateId& id) {
  if (absl::Status s = RefuseInReadOnly(); !s.ok()) return s;
  return GetOneCandidate(team, id, dialect_.row_lock_suffix);
}

absl::StatusOr<Candidate> SqlUnitOfWork::GetOneCandidate(const TeamId& team, const CandidateId& id,
                                                         std::string_view lock_suffix) {
  absl::StatusOr<Row> row = Single(
      Query(absl::StrCat("SELECT ", ToAbsl(kCandidateCols),
                         " FROM candidates WHERE team_id = ? AND candidate_id = ?",
                         ToAbsl(lock_suffix)),
            {P(team), P(id)}),
      "candidate");
  if (!row.ok()) return row.status();
  return ReadCandidate(*row);
}

absl::Status SqlUnitOfWork::UpdateCandidate(const Candidate& d) {
  return UpdateOne(
      "UPDATE candidates SET first_name = ?, last_name = ?, email = ?, phone = ?, tags = ?, "
      "updated_at = ? WHERE team_id = ? AND candidate_id = ?",
      {P(d.first_name), P(d.last_name), P(d.email), P(d.phone), P(EncodeStrings(d.tags)),
       P(d.updated_at), P(d.team), P(d.id)},
      "candidate");
}

absl::StatusOr<Page<Candidate>> SqlUnitOfWork::ListCandidates(const TeamId& team,
                                                              const PageRequest& page) {
  absl::StatusOr<PageQuery> q =
      BuildPage(absl::StrCat("SELECT ", ToAbsl(kCandidateCols), " FROM candidates"),
                "team_id = ?", {P(team)}, "created_at", "candidate_id", page);
  if (!q.ok()) return q.status();
  absl::StatusOr<std::vector<Row>> rows = Query(q->sql, q->params);
  if (!rows.ok()) return rows.status();
  absl::StatusOr<std::vector<Candidate>> items = MapRows<Candidate>(*rows, ReadCandidate);
  if (!items.ok()) return items.status();
  return FinishPage(*std::move(items), q->limit, [](const Candidate& d) {
    return Cursor{ToMicros(d.created_at), d.id.value()};
  });
}

absl::Status SqlUnitOfWork::InsertFile(const CandidateFile& f, const std::string& content) {
  return Insert(absl::StrCat("INSERT INTO candidate_files (", ToAbsl(kFileCols),
                             ", content) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                {P(f.team), P(f.id), P(f.candidate), P(f.name), P(f.content_type), P(f.size),
                 P(f.sha256_hex), P(f.created_at), Bytes(content)},
                "file");
}

absl::StatusOr<std::vector<CandidateFile>> SqlUnitOfWork::ListFiles(const TeamId& team,
                                                                    const CandidateId& candidate) {
  absl::StatusOr<std::vector<Row>> rows =
      Query(absl::StrCat("SELECT ", ToAbsl(kFileCols),
                         " FROM candidate_files WHERE team_id = ? AND candidate_id = ? "
                         "ORDER BY created_at, file_id"),
            {P(team), P(candidate)});
  if (!rows.ok()) return rows.status();
  std::vector<CandidateFile> files;
  for (const Row& row : *rows) files.push_back(ReadFile(row));
  return files;
}

absl::StatusOr<CandidateFile> SqlUnitOfWork::GetFile(const TeamId& team, const FileId& id) {
  absl::StatusOr<Row> row = Single(
      Query(absl::StrCat("SELECT ", ToAbsl(kFileCols),
                         " FROM candidate_files WHERE team_id = ? AND file_id = ?"),
            {P(team), P(id)}),
      "file");
  if (!row.ok()) return row.status();
  return ReadFile(*row);
}

absl::StatusOr<std::string> SqlUnitOfWork::GetFileContent(const TeamId& team, const FileId& id) {
  absl::StatusOr<Row> row = Single(
      Query("SELECT content FROM candidate_files WHERE team_id = ? AND file_id = ?",
            {P(team), P(id)}),
      "file");
  if (!row.ok()) return row.status();
  return Cells(*row).Text();
}

// ---- Applications ---------------------------------------------------------

absl::Status SqlUnitOfWork::InsertApplication(const Application& a) {
  return Insert(absl::StrCat("INSERT INTO applications (", ToAbsl(kApplicationCols),
                             ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
                {P(a.team), P(a.id), P(a.candidate), P(a.job), P(a.stage),
                 P(ApplicationStatusName(a.status)), P(a.created_at), P(a.updated_at)},
                "application");
}

absl::StatusOr<Application> SqlUnitOfWork::GetApplication(const TeamId& team,
                                                          const ApplicationId& id) {
  absl::StatusOr<Row> row = Single(
      Query(absl::StrCat("SELECT ", ToAbsl(kApplicationCols),
                         " FROM applications WHERE team_id = ? AND application_id = ?"),
            {P(team), P(id)}),
      "application");
  if (!row.ok()) return row.status();
  return ReadApplication(*row);
}

absl::Status SqlUnitOfWork::UpdateApplication(const Application& a) {
  return UpdateOne(
      "UPDATE applications SET stage_id = ?, status = ?, updated_at = ? "
      "WHERE team_id = ? AND application_id = ?",
      {P(a.stage), P(ApplicationStatusName(a.status)), P(a.updated_at), P(a.team), P(a.id)},
      "application");
}

absl::StatusOr<Page<Application>> SqlUnitOfWork::ListApplications(
    const TeamId& team, std::optional<JobId> job, std::optional<CandidateId> candidate,
    const PageRequest& page) {
  std::string filter = "team_id = ?";
  std::vector<Value> params = {P(team)};
  if (job.has_value()) {
    filter += " AND job_id = ?";
    params.push_back(P(*job));
  }
  if (candidate.has_value()) {
    filter += " AND candidate_id = ?";
    params.push_back(P(*candidate));
  }
  absl::StatusOr<PageQuery> q =
      BuildPage(absl::StrCat("SELECT ", ToAbsl(kApplicationCols), " FROM applications"),
                filter, std::move(params), "created_at", "application_id", page);
  if (!q.ok()) return q.status();
  absl::StatusOr<std::vector<Row>> rows = Query(q->sql, q->params);
  if (!rows.ok()) return rows.status();
  absl::StatusOr<std::vector<Application>> items = MapRows<Application>(*rows, ReadApplication);
  if (!items.ok()) return items.status();
  return FinishPage(*std::move(items), q->limit, [](const Application& a) {
    return Cursor{ToMicros(a.created_at), a.id.value()};
  });
}

// ---- Background checks ----------------------------------------------------

absl::Status SqlUnitOfWork::InsertCheck(const BackgroundCheck& k) {
  // One conflict clause covers the key, the Certn case id and the partial
  // "one active check per application" index.
  return Insert(
      absl::StrCat("INSERT INTO background_checks (", ToAbsl(kCheckCols),
                   ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
      {P(k.team), P(k.id), P(k.candidate), P(k.application), P(k.activity), P(k.package_id),
       P(k.package_name), P(TriggerName(k.trigger)), P(k.requested_by), P(StatusName(k.status)),
       P(k.error_reason), P(k.certn_case_id), P(k.certn_short_id), P(k.certn_overall_status),
       P(k.results_url), P(k.report_file_id), P(k.report_saved_as), P(EncodeResults(k.results)),
       P(EncodeHistory(k.history)), P(k.created_at), P(k.ordered_at), P(k.completed_at),
       P(k.updated_at), P(k.certn_overall_score), P(WaitingReason(k)), P(k.waiting_until),
       P(k.cancel_requested_at), P(k.cancel_requested_by), P(k.cancel_reason), P(k.reordered_from)},
      "check (or an active check for this application, or this Certn case)");
}

absl::StatusOr<std::vector<BackgroundCheck>> SqlUnitOfWork::QueryChecks(
    std::string_view where, std::span<const Value> params) {
  absl::StatusOr<std::vector<Row>> rows = Query(
      absl::StrCat("SELECT ", ToAbsl(kCheckCols), " FROM background_checks WHERE ",
                   ToAbsl(where)),
      params);
  if (!rows.ok()) return rows.status();
  return MapRows<BackgroundCheck>(*rows, ReadCheck);
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
  // The case id and the one-active index may reject the update.
  return UpdateOne(
      "UPDATE background_checks SET activity_id = ?, package_id = ?, package_name = ?, "
      "send_trigger = ?, requested_by = ?, status = ?, error_reason = ?, certn_case_id = ?, "
      "certn_short_id = ?, certn_overall_status = ?, results_url = ?, report_file_id = ?, "
      "report_saved_as = ?, results = ?, history = ?, ordered_at = ?, completed_at = ?, "
      "updated_at = ?, certn_overall_score = ?, waiting_reason = ?, waiting_until = ?, "
      "cancel_requested_at = ?, cancel_requested_by = ?, cancel_reason = ? "
      "WHERE team_id = ? AND check_id = ?",
      {P(k.activity), P(k.package_id), P(k.package_name), P(TriggerName(k.trigger)),
       P(k.requested_by), P(StatusName(k.status)), P(k.error_reason), P(k.certn_case_id),
       P(k.certn_short_id), P(k.certn_overall_status), P(k.results_url), P(k.report_file_id),
       P(k.report_saved_as), P(EncodeResults(k.results)), P(EncodeHistory(k.history)),
       P(k.ordered_at), P(k.completed_at), P(k.updated_at), P(k.certn_overall_score), P(WaitingReason(k)),
       P(k.waiting_until), P(k.cancel_requested_at), P(k.cancel_requested_by), P(k.cancel_reason), P(k.team),
       P(k.id)},
      "check", /*guarded=*/true);
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
  return QueryChecks(
      "team_id = ? AND application_id = ? ORDER BY created_at DESC, check_id DESC", params);
}

absl::StatusOr<std::vector<BackgroundCheck>> SqlUnitOfWork::ListChecksForCandidate(
    const TeamId& team, const CandidateId& candidate) {
  const Value params[] = {P(team), P(candidate)};
  return QueryChecks("team_id = ? AND candidate_id = ? ORDER BY created_at DESC, check_id DESC",
                     params);
}

absl::StatusOr<BackgroundCheck> SqlUnitOfWork::FindCheckByCaseId(
    const std::string& certn_case_id) {
  const Value params[] = {P(certn_case_id)};
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

// ---- Activity feed --------------------------------------------------------

absl::Status SqlUnitOfWork::AppendFeedEvent(const FeedEvent& e) {
  return Insert(absl::StrCat("INSERT INTO feed_events (", ToAbsl(kFeedCols),
                             ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                {P(e.team), P(e.id), P(e.candidate), P(e.application), P(e.check), P(e.at),
                 P(e.type), P(e.actor), P(e.message)},
                "feed event");
}

absl::StatusOr<Page<FeedEvent>> SqlUnitOfWork::ListFeed(const TeamId& team,
                                                        const CandidateId& candidate,
                                                        const PageRequest& page) {
  absl::StatusOr<PageQuery> q =
      BuildPage(absl::StrCat("SELECT ", ToAbsl(kFeedCols), " FROM feed_events"),
                "team_id = ? AND candidate_id = ?", {P(team), P(candidate)}, "at", "event_id",
                page);
  if (!q.ok()) return q.status();
  absl::StatusOr<std::vector<Row>> rows = Query(q->sql, q->params);
  if (!rows.ok()) return rows.status();
  std::vector<FeedEvent> events;
  for (const Row& row : *rows) events.push_back(ReadFeedEvent(row));
  return FinishPage(std::move(events), q->limit, [](const FeedEvent& e) {
    return Cursor{ToMicros(e.at), e.id.value()};
  });
}

// ---- Idempotency keys -----------------------------------------------------

absl::StatusOr<std::optional<IdempotencyRecord>> SqlUnitOfWork::GetIdempotency(
    const TeamId& team, const std::string& key) {
  absl::StatusOr<std::vector<Row>> rows = Query(
      "SELECT team_id, idem_key, request_fingerprint, status_code, response_body, created_at "
      "FROM idempotency_keys WHERE team_id = ? AND idem_key = ?",
      {P(team), P(key)});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<IdempotencyRecord>();
  Cells c(rows->front());
  IdempotencyRecord r;
  r.team = c.IdOf<TeamId>();
  r.key = c.Text();
  r.request_fingerprint = c.Text();
  r.status_code = static_cast<int>(c.Int());
  r.response_body = c.Text();
  r.created_at = c.Time();
  return std::optional<IdempotencyRecord>(std::move(r));
}

absl::Status SqlUnitOfWork::PutIdempotency(const IdempotencyRecord& r) {
  return Insert(
      "INSERT INTO idempotency_keys (team_id, idem_key, request_fingerprint, status_code, "
      "response_body, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      {P(r.team), P(r.key), P(r.request_fingerprint), P(r.status_code), Bytes(r.response_body),
       P(r.created_at)},
      "idempotency key");
}

// ---- Webhook deliveries ---------------------------------------------------

absl::Status SqlUnitOfWork::InsertDelivery(const WebhookDelivery& d) {
  // Only verified deliveries are stored: one no team could authenticate
  // never reaches the disk (docs/architecture.md, "Webhook").
  if (!d.team.has_value() || d.verdict == DeliveryVerdict::kUnverified) {
    return absl::InvalidArgumentError("a delivery that was not verified is never stored");
  }
  return Insert(absl::StrCat("INSERT INTO webhook_deliveries (", ToAbsl(kDeliveryCols),
                             ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                {d.team.has_value() ? P(*d.team) : P(kNoTeam), P(d.delivery_id),
                 P(d.received_at), P(d.scheme), P(d.event_type), P(d.object_type),
                 P(d.object_id), Bytes(d.body), P(VerdictName(d.verdict)), P(d.check),
                 P(d.headers)},
                "delivery");
}

absl::StatusOr<std::vector<WebhookDelivery>> SqlUnitOfWork::QueryDeliveries(
    std::string_view where, std::span<const Value> params) {
  absl::StatusOr<std::vector<Row>> rows = Query(
      absl::StrCat("SELECT ", ToAbsl(kDeliveryCols), " FROM webhook_deliveries ",
                   ToAbsl(where)),
      params);
  if (!rows.ok()) return rows.status();
  return MapRows<WebhookDelivery>(*rows, ReadDelivery);
}

absl::StatusOr<std::vector<WebhookDelivery>> SqlUnitOfWork::ListDeliveries(
    std::optional<TeamId> team, int limit) {
  const int64_t n = PageLimit(limit);
  if (!team.has_value()) {
    // Global: the operator's view across teams.
    const Value params[] = {n};
    return QueryDeliveries("ORDER BY received_at DESC, delivery_id DESC LIMIT ?", params);
  }
  const Value params[] = {P(*team), n};
  return QueryDeliveries(
      "WHERE team_id = ? ORDER BY received_at DESC, delivery_id DESC LIMIT ?", params);
}

absl::StatusOr<Page<WebhookDelivery>> SqlUnitOfWork::ListTeamDeliveries(const TeamId& team,
                                                                        const DeliveryFilter& f,
                                                                        const PageRequest& page) {
  std::string filter = "team_id = ?";
  std::vector<Value> params = {P(team)};
  auto add = [&](std::string_view clause, Value value) {
    absl::StrAppend(&filter, " AND ", ToAbsl(clause));
    params.push_back(std::move(value));
  };
  if (f.verdict) add("verdict = ?", P(VerdictName(*f.verdict)));
  if (f.event_type) add("event_type = ?", P(*f.event_type));
  if (f.case_id) add("object_id = ?", P(*f.case_id));
  if (f.since) add("received_at >= ?", P(*f.since));
  if (f.until) add("received_at < ?", P(*f.until));
  absl::StatusOr<PageQuery> q =
      BuildPage(absl::StrCat("SELECT ", ToAbsl(kDeliveryCols), " FROM webhook_deliveries"), filter,
                std::move(params), "received_at", "delivery_id", page);
  if (!q.ok()) return q.status();
  absl::StatusOr<std::vector<Row>> rows = Query(q->sql, q->params);
  if (!rows.ok()) return rows.status();
  absl::StatusOr<std::vector<WebhookDelivery>> items = MapRows<WebhookDelivery>(*rows, ReadDelivery);
  if (!items.ok()) return items.status();
  return FinishPage(*std::move(items), q->limit, [](const WebhookDelivery& d) {
    return Cursor{ToMicros(d.received_at), d.delivery_id};
  });
}

absl::StatusOr<WebhookDelivery> SqlUnitOfWork::GetDelivery(const TeamId& team,
                                                           const std::string& delivery_id) {
  const Value params[] = {P(team), P(delivery_id)};
  absl::StatusOr<std::vector<WebhookDelivery>> found =
      QueryDeliveries("WHERE team_id = ? AND delivery_id = ?", params);
  if (!found.ok()) return found.status();
  if (found->empty()) return absl::NotFoundError("delivery not found");
  return std::move(found->front());
}

absl::Status SqlUnitOfWork::UpdateDeliveryVerdict(const TeamId& team,
                                                  const std::string& delivery_id,
                                                  DeliveryVerdict verdict,
                                                  const std::optional<CheckId>& check) {
  return UpdateOne(
      "UPDATE webhook_deliveries SET verdict = ?, check_id = ? "
      "WHERE team_id = ? AND delivery_id = ?",
      {P(VerdictName(verdict)), P(check), P(team), P(delivery_id)}, "delivery");
}

absl::StatusOr<std::vector<WebhookDelivery>> SqlUnitOfWork::ListOrphans(
    const TeamId& team, const std::string& case_id) {
  const Value params[] = {P(team), P(case_id), P(VerdictName(DeliveryVerdict::kOrphan))};
  // Oldest first: orphans are replayed in the order Certn sent them.
  return QueryDeliveries(
      "WHERE team_id = ? AND object_id = ? AND verdict = ? ORDER BY received_at, delivery_id",
      params);
}

// ---- Durable work ---------------------------------------------------------

absl::Status SqlUnitOfWork::EnqueueWork(const WorkItem& w) {
  // A pending twin is the documented no-op; a reused id is still an error.
  // Under READ COMMITTED (PostgreSQL, several replicas) the twin that made
  // the INSERT conflict may be completed by another replica before the
  // look-up below runs: the look-up then finds no pending twin, and the
  // INSERT is simply tried again (it now succeeds, or meets a newer twin).
  constexpr int kTries = 3;
  absl::Status s;
  for (int attempt = 0; attempt < kTries; ++attempt) {
    s = Insert(absl::StrCat("INSERT INTO work_items (", ToAbsl(kWorkCols),
                            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
               {P(w.team), P(w.id), P(w.kind), P(w.subject), Bytes(w.payload), P(w.dedupe_key),
                P(w.run_at), P(w.attempts), P(w.last_error), P(w.state)},
               "work item");
    if (s.code() != absl::StatusCode::kAlreadyExists || !w.dedupe_key.has_value()) return s;
    absl::StatusOr<std::vector<Row>> twin = Query(
        "SELECT 1 FROM work_items WHERE team_id = ? AND dedupe_key = ? AND state = 'pending'",
        {P(w.team), P(*w.dedupe_key)});
    if (!twin.ok()) return twin.status();
    if (!twin->empty()) return absl::OkStatus();
  }
  // Still no pending twin after every try: the conflict is the work id.
  return s;
}

absl::StatusOr<std::vector<WorkItem>> SqlUnitOfWork::ClaimWork(absl::Time now,
                                                               const std::string& owner,
                                                               absl::Time lease_until,
                                                               int limit) {
  // Global: workers serve every team. Items whose lease ran out are due again.
  const Value params[] = {P(now), P(now), int64_t{PageLimit(limit)}};
  absl::StatusOr<std::vector<Row>> rows = Query(
      absl::StrCat("SELECT ", ToAbsl(kWorkCols),
                   " FROM work_items WHERE state = 'pending' AND run_at <= ? AND "
                   "(lease_until IS NULL OR lease_until <= ?) ORDER BY run_at, team_id, work_id "
                   "LIMIT ?",
                   ToAbsl(dialect_.claim_lock_suffix)),
      params);
  if (!rows.ok()) return rows.status();
  std::vector<WorkItem> items;
  for (const Row& row : *rows) {
    WorkItem w = ReadWork(row);
    absl::StatusOr<int64_t> n = Exec(
        // Claiming releases the dedupe key: an event that arrives while this
        // run is in flight (and may have read stale state) gets a run of its own.
        "UPDATE work_items SET lease_owner = ?, lease_until = ?, attempts = attempts + 1, "
        "dedupe_key = NULL WHERE team_id = ? AND work_id = ?",
        {P(owner), P(lease_until), P(w.team), P(w.id)});
    if (!n.ok()) return n.status();
    ++w.attempts;
    items.push_back(std::move(w));
  }
  return items;
}

absl::Status SqlUnitOfWork::CompleteWork(const TeamId& team, const WorkItemId& id) {
  return UpdateOne(
      "UPDATE work_items SET state = 'done', lease_owner = NULL, lease_until = NULL "
      "WHERE team_id = ? AND work_id = ?",
      {P(team), P(id)}, "work item");
}

absl::Status SqlUnitOfWork::RetryWork(const TeamId& team, const WorkItemId& id, absl::Time run_at,
                                      const std::string& error) {
  return UpdateOne(
      "UPDATE work_items SET run_at = ?, last_error = ?, lease_owner = NULL, lease_until = NULL "
      "WHERE team_id = ? AND work_id = ? AND state = 'pending'",
      {P(run_at), P(error), P(team), P(id)}, "pending work item");
}

absl::Status SqlUnitOfWork::DeferWork(const TeamId& team, const WorkItemId& id, absl::Time run_at) {
  // ClaimWork counted the run; a deferral takes it back.
  return UpdateOne(
      "UPDATE work_items SET run_at = ?, attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, "
      "lease_owner = NULL, lease_until = NULL WHERE team_id = ? AND work_id = ? AND state = 'pending'",
      {P(run_at), P(team), P(id)}, "pending work item");
}

absl::StatusOr<int64_t> SqlUnitOfWork::ExpediteWork(const TeamId& team, const std::string& kind, absl::Time now) {
  if (absl::Status s = RefuseInReadOnly(); !s.ok()) return s;
  return Exec(
      "UPDATE work_items SET run_at = ? WHERE team_id = ? AND kind = ? AND state = 'pending' AND run_at > ? "
      "AND lease_owner IS NULL",
      {P(now), P(team), P(kind), P(now)});
}

absl::Status SqlUnitOfWork::FailWork(const TeamId& team, const WorkItemId& id,
                                     const std::string& error) {
  return UpdateOne(
      "UPDATE work_items SET state = 'failed', last_error = ?, lease_owner = NULL, "
      "lease_until = NULL WHERE team_id = ? AND work_id = ?",
      {P(error), P(team), P(id)}, "work item");
}

absl::StatusOr<std::optional<absl::Time>> SqlUnitOfWork::OldestDueWork(absl::Time now) {
  absl::StatusOr<Row> row =
      Single(Query("SELECT MIN(run_at) FROM work_items WHERE state = 'pending' AND run_at <= ?", {P(now)}),
             "oldest due work");
  if (!row.ok()) return row.status();
  return Cells(*row).OptTime();
}

absl::StatusOr<int64_t> SqlUnitOfWork::CountWork(const std::string& state) {
  absl::StatusOr<Row> row =
      Single(Query("SELECT COUNT(*) FROM work_items WHERE state = ?", {P(state)}), "count");
  if (!row.ok()) return row.status();
  return Cells(*row).Int();
}

}  // namespace stagecheck::store
