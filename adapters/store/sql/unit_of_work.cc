#include "adapters/store/sql/unit_of_work.h"

#include <charconv>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "adapters/store/sql/codec.h"
#include "adapters/store/sql/rows.h"
#include "core/status_macros.h"
#include "core/strings.h"

namespace stagecheck::store {
namespace {

using rows::Bytes;
using rows::Cells;
using rows::Corrupt;
using rows::P;

// The terminal statuses, as the partial unique index spells them.
constexpr std::string_view kOpenCheck = "status NOT IN ('complete', 'error', 'cancelled')";

// ---- Keyset pages ---------------------------------------------------------

// One column of a keyset order; an order's last key is unique (the id).
struct SortKey {
  std::string_view column;
  bool integer = false;  // bound as int64 (times, ranks), else as text
};
struct Keyset {
  std::string_view name;  // "" for a list with one order (Cursor::order)
  std::vector<SortKey> keys;
  bool descending = true;
};

// The rows strictly after the cursor's keys in the order: "k1 <= ? AND (k1 <
// ? OR (k1 = ? AND (k2 < ? OR ...)))" (">" ascending); the leading bound lets
// both databases seek the index instead of scanning it from the start.
absl::Status AppendAfter(const Keyset& order, const Cursor& cursor, std::string& sql,
                         std::vector<Value>& params) {
  const absl::Status bad = absl::InvalidArgumentError("invalid pagination cursor");
  if (cursor.order != order.name || cursor.keys.size() != order.keys.size()) return bad;
  std::vector<Value> values;
  for (size_t i = 0; i < order.keys.size(); ++i) {
    const std::string& text = cursor.keys[i];
    if (!order.keys[i].integer) {
      values.push_back(text);
      continue;
    }
    int64_t n = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || ptr != text.data() + text.size()) return bad;
    values.push_back(n);
  }
  const char* op = order.descending ? " < ?" : " > ?";
  absl::StrAppend(&sql, " AND ", ToAbsl(order.keys[0].column),
                  order.descending ? " <= ?" : " >= ?");
  params.push_back(values[0]);
  std::string tail;
  for (size_t i = order.keys.size(); i-- > 0;) {
    std::string_view col = order.keys[i].column;
    tail = tail.empty()
               ? absl::StrCat(ToAbsl(col), op)
               : absl::StrCat("(", ToAbsl(col), op, " OR (", ToAbsl(col), " = ? AND ", tail, "))");
  }
  absl::StrAppend(&sql, " AND ", tail);
  for (size_t i = 0; i + 1 < values.size(); ++i) {
    params.push_back(values[i]);
    params.push_back(values[i]);
  }
  params.push_back(values.back());
  return absl::OkStatus();
}

// Builds "WHERE <filter> [AND after cursor] ORDER BY <keys> LIMIT n+1", so
// every list is stable under inserts.
struct PageQuery {
  std::string sql;
  std::vector<Value> params;
  int limit = 0;
};

absl::StatusOr<PageQuery> BuildPage(std::string_view select_from, std::string_view filter,
                                    std::vector<Value> params, const Keyset& order,
                                    const PageRequest& page) {
  absl::StatusOr<std::optional<Cursor>> cursor = DecodeCursor(page.after);
  if (!cursor.ok()) return cursor.status();
  PageQuery q;
  q.limit = PageLimit(page.limit);
  q.sql = absl::StrCat(ToAbsl(select_from), " WHERE ", ToAbsl(filter));
  if (cursor->has_value()) RETURN_IF_ERROR(AppendAfter(order, **cursor, q.sql, params));
  const char* dir = order.descending ? " DESC" : " ASC";
  absl::StrAppend(&q.sql, " ORDER BY ",
                  absl::StrJoin(order.keys, ", ",
                                [dir](std::string* out, const SortKey& k) {
                                  absl::StrAppend(out, ToAbsl(k.column), dir);
                                }),
                  " LIMIT ?");
  params.push_back(int64_t{q.limit + 1});
  q.params = std::move(params);
  return q;
}

// The lists ordered by (time, id), newest first.
absl::StatusOr<PageQuery> BuildPage(std::string_view select_from, std::string_view filter,
                                    std::vector<Value> params, std::string_view sort_col,
                                    std::string_view id_col, const PageRequest& page) {
  return BuildPage(select_from, filter, std::move(params),
                   Keyset{"", {{sort_col, true}, {id_col, false}}, true}, page);
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
    "certn_team_id, verified_at, last_delivery_at, updated_at, requests_per_minute, "
    "requests_per_day, "
    "events_cursor";
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
  i.events_cursor = c.OptText();
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

constexpr std::string_view kCheckCols =
    "team_id, check_id, candidate_id, application_id, activity_id, package_id, package_name, "
    "send_trigger, requested_by, status, error_reason, certn_case_id, certn_short_id, "
    "certn_overall_status, results_url, report_file_id, report_saved_as, results, history, "
    "created_at, ordered_at, completed_at, updated_at, certn_overall_score, waiting_reason, "
    "waiting_until, "
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
  k.external_id = c.OptText();
  k.external_short_id = c.OptText();
  k.external_status = c.Text();
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
  k.overall_score = c.OptText();
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
  absl::Status end =
      n.ok() ? conn_.ReleaseSavepoint(kSavepoint) : conn_.RollbackToSavepoint(kSavepoint);
  if (!n.ok()) {
    if (end.ok()) end = conn_.ReleaseSavepoint(kSavepoint);
    // A failed rollback means the session is gone; report that instead.
    return end.ok() ? n.status() : end;
  }
  if (!end.ok()) return end;
  return n;
}

absl::Status SqlUnitOfWork::Insert(std::string_view sql, Params params, std::string_view what) {
  absl::StatusOr<int64_t> n = Exec(absl::StrCat(ToAbsl(sql), " ON CONFLICT DO NOTHING"), params);
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
  absl::StatusOr<Row> row = Single(
      Query(absl::StrCat("SELECT ", ToAbsl(kTeamCols), " FROM teams WHERE team_id = ?"), {P(team)}),
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
      {P(user.team), P(user.id), P(user.name), P(RoleName(user.role)), P(user.created_at)}, "user");
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
          ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (team_id) DO "
          "UPDATE SET "
          "region = excluded.region, api_key_encrypted = excluded.api_key_encrypted, "
          "api_key_last4 = excluded.api_key_last4, "
          "webhook_secret_encrypted = excluded.webhook_secret_encrypted, "
          "previous_webhook_secret_encrypted = excluded.previous_webhook_secret_encrypted, "
          "previous_secret_valid_until = excluded.previous_secret_valid_until, "
          "status = excluded.status, status_reason = excluded.status_reason, "
          "certn_team_id = excluded.certn_team_id, verified_at = excluded.verified_at, "
          "last_delivery_at = excluded.last_delivery_at, updated_at = excluded.updated_at, "
          "requests_per_minute = excluded.requests_per_minute, requests_per_day = "
          "excluded.requests_per_day, "
          // The reconciler owns the cursor (AdvanceEventsCursor): an edit that
          // keeps the key and region keeps the stored one; new credentials
          // (a new ciphertext: every encryption has a fresh nonce) take the given one.
          "events_cursor = CASE WHEN integrations.api_key_encrypted = excluded.api_key_encrypted "
          "AND "
          "integrations.region = excluded.region THEN integrations.events_cursor "
          "ELSE excluded.events_cursor END"),
      {P(i.team), P(RegionName(i.region)), Bytes(i.api_key_encrypted), P(i.api_key_last4),
       Bytes(i.webhook_secret_encrypted), Bytes(i.previous_webhook_secret_encrypted),
       P(i.previous_secret_valid_until), P(ConnectionStatusName(i.status)), P(i.status_reason),
       P(i.certn_team_id), P(i.verified_at), P(i.last_delivery_at), P(i.updated_at),
       P(i.requests_per_minute), P(i.requests_per_day), P(i.events_cursor)});
  return n.status();
}

absl::StatusOr<CertnIntegration> SqlUnitOfWork::GetIntegration(const TeamId& team) {
  absl::StatusOr<Row> row = Single(Query(absl::StrCat("SELECT ", ToAbsl(kIntegrationCols),
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

absl::StatusOr<std::vector<CertnIntegration>> SqlUnitOfWork::ListConnectedIntegrations(
    const std::optional<TeamId>& after, int limit) {
  std::vector<Value> params = {P(ConnectionStatusName(ConnectionStatus::kConnected))};
  if (after) params.push_back(P(*after));
  params.push_back(int64_t{PageLimit(limit)});
  absl::StatusOr<std::vector<Row>> rows =
      Query(absl::StrCat("SELECT ", ToAbsl(kIntegrationCols), " FROM integrations WHERE status = ?",
                         after ? " AND team_id > ?" : "", " ORDER BY team_id LIMIT ?"),
            params);
  if (!rows.ok()) return rows.status();
  std::vector<CertnIntegration> out;
  for (const Row& row : *rows) {
    absl::StatusOr<CertnIntegration> i = ReadIntegration(row);
    if (!i.ok()) return i.status();
    out.push_back(*std::move(i));
  }
  return out;
}

absl::Status SqlUnitOfWork::AdvanceEventsCursor(const TeamId& team,
                                                const std::optional<std::string>& expected,
                                                const std::string& cursor) {
  absl::StatusOr<int64_t> n = Exec(
      "UPDATE integrations SET events_cursor = ? WHERE team_id = ? AND events_cursor IS NOT "
      "DISTINCT FROM ?",
      {P(cursor), P(team), P(expected)});
  if (!n.ok()) return n.status();
  if (*n == 0) return absl::AbortedError("the integration's events cursor has moved");
  return absl::OkStatus();
}

// ---- Jobs and plans -------------------------------------------------------

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
  absl::StatusOr<Row> row =
      Single(Query(absl::StrCat("SELECT ", ToAbsl(kCandidateCols),
                                " FROM candidates WHERE team_id = ? AND candidate_id = ?",
                                ToAbsl(lock_suffix)),
                   {P(team), P(id)}),
             "candidate");
  if (!row.ok()) return row.status();
  return ReadCandidate(*row);
}

absl::Status SqlUnitOfWork::UpdateCandidate(const Candidate& d) {
  RETURN_IF_ERROR(UpdateOne(
      "UPDATE candidates SET first_name = ?, last_name = ?, email = ?, phone = ?, tags = ?, "
      "updated_at = ? WHERE team_id = ? AND candidate_id = ?",
      {P(d.first_name), P(d.last_name), P(d.email), P(d.phone), P(EncodeStrings(d.tags)),
       P(d.updated_at), P(d.team), P(d.id)},
      "candidate"));
  // The pipeline overview searches and sorts by the candidate's name and email.
  return Exec(absl::StrCat("UPDATE applications SET candidate_sort = (SELECT ",
                           ToAbsl(kCandidateSortExpr),
                           " FROM candidates c WHERE c.team_id = applications.team_id AND "
                           "c.candidate_id = applications.candidate_id) "
                           "WHERE team_id = ? AND candidate_id = ?"),
              {P(d.team), P(d.id)})
      .status();
}

absl::StatusOr<Page<Candidate>> SqlUnitOfWork::ListCandidates(const TeamId& team,
                                                              const PageRequest& page) {
  absl::StatusOr<PageQuery> q =
      BuildPage(absl::StrCat("SELECT ", ToAbsl(kCandidateCols), " FROM candidates"), "team_id = ?",
                {P(team)}, "created_at", "candidate_id", page);
  if (!q.ok()) return q.status();
  absl::StatusOr<std::vector<Row>> rows = Query(q->sql, q->params);
  if (!rows.ok()) return rows.status();
  absl::StatusOr<std::vector<Candidate>> items = MapRows<Candidate>(*rows, ReadCandidate);
  if (!items.ok()) return items.status();
  return FinishPage(*std::move(items), q->limit,
                    [](const Candidate& d) { return TimeCursor(d.created_at, d.id.value()); });
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
  absl::StatusOr<Row> row =
      Single(Query(absl::StrCat("SELECT ", ToAbsl(kFileCols),
                                " FROM candidate_files WHERE team_id = ? AND file_id = ?"),
                   {P(team), P(id)}),
             "file");
  if (!row.ok()) return row.status();
  return ReadFile(*row);
}

absl::StatusOr<std::string> SqlUnitOfWork::GetFileContent(const TeamId& team, const FileId& id) {
  absl::StatusOr<Row> row =
      Single(Query("SELECT content FROM candidate_files WHERE team_id = ? AND file_id = ?",
                   {P(team), P(id)}),
             "file");
  if (!row.ok()) return row.status();
  return Cells(*row).Text();
}

// ---- Applications ---------------------------------------------------------

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

// ---- Background checks ----------------------------------------------------

absl::Status SqlUnitOfWork::InsertCheck(const BackgroundCheck& k) {
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
                          P(EncodeResults(k.results)),
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
       P(EncodeResults(k.results)),
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
  absl::StatusOr<PageQuery> q = BuildPage(
      absl::StrCat("SELECT ", ToAbsl(kFeedCols), " FROM feed_events"),
      "team_id = ? AND candidate_id = ?", {P(team), P(candidate)}, "at", "event_id", page);
  if (!q.ok()) return q.status();
  absl::StatusOr<std::vector<Row>> rows = Query(q->sql, q->params);
  if (!rows.ok()) return rows.status();
  std::vector<FeedEvent> events;
  for (const Row& row : *rows) events.push_back(ReadFeedEvent(row));
  return FinishPage(std::move(events), q->limit,
                    [](const FeedEvent& e) { return TimeCursor(e.at, e.id.value()); });
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
                {d.team.has_value() ? P(*d.team) : P(kNoTeam), P(d.delivery_id), P(d.received_at),
                 P(d.scheme), P(d.event_type), P(d.object_type), P(d.object_id), Bytes(d.body),
                 P(VerdictName(d.verdict)), P(d.check), P(d.headers)},
                "delivery");
}

absl::StatusOr<std::vector<WebhookDelivery>> SqlUnitOfWork::QueryDeliveries(
    std::string_view where, std::span<const Value> params) {
  absl::StatusOr<std::vector<Row>> rows = Query(
      absl::StrCat("SELECT ", ToAbsl(kDeliveryCols), " FROM webhook_deliveries ", ToAbsl(where)),
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
  return QueryDeliveries("WHERE team_id = ? ORDER BY received_at DESC, delivery_id DESC LIMIT ?",
                         params);
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
  absl::StatusOr<std::vector<WebhookDelivery>> items =
      MapRows<WebhookDelivery>(*rows, ReadDelivery);
  if (!items.ok()) return items.status();
  return FinishPage(*std::move(items), q->limit, [](const WebhookDelivery& d) {
    return TimeCursor(d.received_at, d.delivery_id);
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
    absl::StatusOr<std::vector<Row>> twin =
        Query("SELECT 1 FROM work_items WHERE team_id = ? AND dedupe_key = ? AND state = 'pending'",
              {P(w.team), P(*w.dedupe_key)});
    if (!twin.ok()) return twin.status();
    if (!twin->empty()) return absl::OkStatus();
  }
  // Still no pending twin after every try: the conflict is the work id.
  return s;
}

absl::StatusOr<std::vector<WorkItem>> SqlUnitOfWork::ClaimWork(absl::Time now,
                                                               const std::string& owner,
                                                               absl::Time lease_until, int limit) {
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
      "UPDATE work_items SET run_at = ?, attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE "
      "0 END, "
      "lease_owner = NULL, lease_until = NULL WHERE team_id = ? AND work_id = ? AND state = "
      "'pending'",
      {P(run_at), P(team), P(id)}, "pending work item");
}

absl::StatusOr<int64_t> SqlUnitOfWork::ExpediteWork(const TeamId& team, const std::string& kind,
                                                    absl::Time now) {
  if (absl::Status s = RefuseInReadOnly(); !s.ok()) return s;
  return Exec(
      "UPDATE work_items SET run_at = ? WHERE team_id = ? AND kind = ? AND state = 'pending' AND "
      "run_at > ? "
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
  absl::StatusOr<Row> row = Single(
      Query("SELECT MIN(run_at) FROM work_items WHERE state = 'pending' AND run_at <= ?", {P(now)}),
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
