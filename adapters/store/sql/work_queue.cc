// Durable work, the outbox: the `work_items` table. Workers of every replica
// claim due items under a lease (the dialect's claim lock skips rows another
// replica holds); one pending item per dedupe key.
#include "adapters/store/sql/unit_of_work.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "adapters/store/sql/codec.h"
#include "adapters/store/sql/rows.h"
#include "core/strings.h"

namespace stagecheck::store {
namespace {

using rows::Bytes;
using rows::Cells;
using rows::P;
using rows::Single;

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

absl::Status SqlUnitOfWork::EnqueueWork(const WorkItem& w) {
  return EnqueueWorkUnlessPending(w, TwinCheck::kLookFirst).status();
}

absl::StatusOr<UnitOfWork::Enqueued> SqlUnitOfWork::EnqueueWorkUnlessPending(const WorkItem& w,
                                                                             TwinCheck check) {
  // A pending twin is the documented no-op; a reused id is still an error.
  // The twin is looked for first (unless the caller has just looked): a
  // burst for one case meets it far more often than not, and on SQLite an
  // INSERT that finds the conflict costs about three look-ups (issue 21).
  // Under READ COMMITTED (PostgreSQL, several replicas) a twin can commit
  // between the look-up and the INSERT, or be completed by another replica
  // after the INSERT met it: the look-up and the INSERT are then simply
  // tried again.
  constexpr int kTries = 3;
  absl::Status s;
  for (int attempt = 0; attempt < kTries; ++attempt) {
    if (w.dedupe_key.has_value() && (attempt > 0 || check == TwinCheck::kLookFirst)) {
      absl::StatusOr<std::vector<Row>> twin = Query(
          "SELECT run_at FROM work_items WHERE team_id = ? AND dedupe_key = ? AND "
          "state = 'pending'",
          {P(w.team), P(*w.dedupe_key)});
      if (!twin.ok()) return twin.status();
      if (!twin->empty()) return Enqueued{false, rows::Cells(twin->front()).Time()};
    }
    s = Insert(absl::StrCat("INSERT INTO work_items (", ToAbsl(kWorkCols),
                            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
               {P(w.team), P(w.id), P(w.kind), P(w.subject), Bytes(w.payload), P(w.dedupe_key),
                P(w.run_at), P(w.attempts), P(w.last_error), P(w.state)},
               "work item");
    if (s.ok()) return Enqueued{true, w.run_at};
    if (s.code() != absl::StatusCode::kAlreadyExists || !w.dedupe_key.has_value()) return s;
  }
  // Still no pending twin after every try: the conflict is the work id.
  return s;
}

std::string SqlUnitOfWork::PendingDueSql(const Dialect& dialect, size_t keys) {
  // The keys as a VALUES list, each met through the pending-dedupe index
  // (Dialect::lateral_probes): on SQLite joined to the table with CROSS JOIN,
  // so that it walks the list (a row-value IN would scan every pending item
  // instead); on PostgreSQL one LATERAL probe per key (at most one pending
  // item has a key: the index is unique).
  std::string values = "(VALUES ";
  for (size_t i = 0; i < keys; ++i) absl::StrAppend(&values, i == 0 ? "" : ", ", "(?, ?)");
  if (dialect.lateral_probes) {
    return absl::StrCat("SELECT k.column1, k.column2, w.run_at FROM ", values,
                        ") AS k CROSS JOIN LATERAL (SELECT run_at FROM work_items WHERE "
                        "team_id = k.column1 AND dedupe_key = k.column2 AND "
                        "state = 'pending' LIMIT 1) AS w");
  }
  return absl::StrCat("SELECT w.team_id, w.dedupe_key, w.run_at FROM ", values,
                      ") AS k CROSS JOIN work_items AS w WHERE w.team_id = k.column1 AND "
                      "w.dedupe_key = k.column2 AND w.state = 'pending'");
}

absl::StatusOr<std::map<UnitOfWork::DedupeKey, absl::Time>> SqlUnitOfWork::PendingDue(
    std::span<const DedupeKey> keys) {
  // Each dialect's shapes made once (both: a process has one dialect, but
  // this is not the place to know which).
  static const std::vector<std::string> kJoined =
      rows::RunShapes([](size_t n) { return PendingDueSql(SqliteDialect(), n); });
  static const std::vector<std::string> kLateral =
      rows::RunShapes([](size_t n) { return PendingDueSql(PostgresDialect(), n); });
  const std::vector<std::string>& by_count = dialect_.lateral_probes ? kLateral : kJoined;
  const std::vector<DedupeKey> distinct = rows::SortedDistinct(keys);
  std::map<DedupeKey, absl::Time> due;
  absl::Status read = QueryInRuns(
      by_count, distinct.size(),
      [&](size_t i, std::vector<Value>& params) {
        params.push_back(P(distinct[i].first));
        params.push_back(P(distinct[i].second));
      },
      [&](const Row& row) {
        Cells c(row);
        TeamId team = c.IdOf<TeamId>();  // the columns in order
        std::string key = c.Text();
        due.insert_or_assign(DedupeKey{std::move(team), std::move(key)}, c.Time());
      });
  if (!read.ok()) return read;
  return due;
}

std::string SqlUnitOfWork::ClaimWorkSql(const Dialect& dialect) {
  return absl::StrCat(
      "UPDATE work_items SET lease_owner = ?, lease_until = ?, "
      "attempts = attempts + 1, dedupe_key = NULL WHERE (team_id, work_id) IN "
      "(SELECT team_id, work_id FROM work_items",
      ToAbsl(dialect.due_index_hint),
      " WHERE state = 'pending' AND run_at <= ? AND "
      "(lease_until IS NULL OR lease_until <= ?) "
      "ORDER BY run_at, team_id, work_id LIMIT ?",
      ToAbsl(dialect.claim_lock_suffix), ") RETURNING ", ToAbsl(kWorkCols));
}

absl::StatusOr<std::vector<WorkItem>> SqlUnitOfWork::ClaimWork(absl::Time now,
                                                               const std::string& owner,
                                                               absl::Time lease_until, int limit) {
  // Global: workers serve every team. Items whose lease ran out are due
  // again. One statement for the whole claim, not a look-up plus one UPDATE
  // per item (issue 21: a claim of 16 was 17 round trips on PostgreSQL).
  // Claiming releases the dedupe key: an event that arrives while this run
  // is in flight (and may have read stale state) gets a run of its own.
  const Value params[] = {P(owner), P(lease_until), P(now), P(now), int64_t{PageLimit(limit)}};
  absl::StatusOr<std::vector<Row>> rows = Query(ClaimWorkSql(dialect_), params);
  if (!rows.ok()) return rows.status();
  std::vector<WorkItem> items;
  items.reserve(rows->size());
  for (const Row& row : *rows) items.push_back(ReadWork(row));
  // RETURNING names no order: due first, as the look-up chose them.
  std::sort(items.begin(), items.end(), [](const WorkItem& a, const WorkItem& b) {
    return std::tie(a.run_at, a.team, a.id) < std::tie(b.run_at, b.team, b.id);
  });
  return items;
}

absl::Status SqlUnitOfWork::ClaimWorkItem(const TeamId& team, const WorkItemId& id,
                                          const std::string& owner, absl::Time lease_until) {
  // As ClaimWork's UPDATE, for one item the caller's transaction just queued.
  return UpdateOne(
      "UPDATE work_items SET lease_owner = ?, lease_until = ?, attempts = attempts + 1, "
      "dedupe_key = NULL WHERE team_id = ? AND work_id = ? AND state = 'pending' AND "
      "lease_owner IS NULL",
      {P(owner), P(lease_until), P(team), P(id)}, "unleased pending work item");
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
      Query(absl::StrCat("SELECT MIN(run_at) FROM work_items", ToAbsl(dialect_.due_index_hint),
                         " WHERE state = 'pending' AND run_at <= ?"),
            {P(now)}),
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
