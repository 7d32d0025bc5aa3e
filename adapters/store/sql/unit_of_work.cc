#include "adapters/store/sql/unit_of_work.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "adapters/store/sql/codec.h"
#include "adapters/store/sql/pages.h"
#include "adapters/store/sql/rows.h"
#include "core/status_macros.h"
#include "core/strings.h"

namespace stagecheck::store {
namespace {

using pages::BuildPage;
using pages::FinishPage;
using pages::Keyset;
using pages::PageQuery;
using pages::SortKey;
using rows::Bytes;
using rows::Cells;
using rows::Corrupt;
using rows::MapRows;
using rows::P;
using rows::Single;

// ---- Row mappers ----------------------------------------------------------

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
