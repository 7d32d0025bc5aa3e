// Webhook deliveries: the `webhook_deliveries` table, every verified delivery
// kept for audit and replay, with its verdict; orphans (a delivery for a case
// no check knows yet) wait there to be replayed in order.
#include "adapters/store/sql/unit_of_work.h"

#include <algorithm>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

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
using pages::PageQuery;
using rows::Bytes;
using rows::BytesRef;
using rows::Cells;
using rows::Corrupt;
using rows::ForEachRun;
using rows::MapRows;
using rows::P;
using rows::PRef;
using rows::RunShapes;

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

// Only verified deliveries are stored: one no team could authenticate never
// reaches the disk (docs/architecture.md, "Webhook").
absl::Status RefuseUnverified(const WebhookDelivery& d) {
  if (!d.team.has_value() || d.verdict == DeliveryVerdict::kUnverified) {
    return absl::InvalidArgumentError("a delivery that was not verified is never stored");
  }
  return absl::OkStatus();
}

// Borrows the delivery's strings (PRef): a bundle's deliveries outlive its
// insert, and copying each body and id into the parameters was most of the
// allocations a delivery cost the committer.
constexpr size_t kDeliveryParams = 11;  // AppendDeliveryParams' values, one per column

void AppendDeliveryParams(const WebhookDelivery& d, std::vector<Value>& out) {
  out.push_back(d.team.has_value() ? PRef(*d.team) : P(kNoTeam));
  out.push_back(PRef(d.delivery_id));
  out.push_back(P(d.received_at));
  out.push_back(PRef(d.scheme));
  out.push_back(PRef(d.event_type));
  out.push_back(PRef(d.object_type));
  out.push_back(PRef(d.object_id));
  out.push_back(BytesRef(d.body));
  out.push_back(P(VerdictName(d.verdict)));
  out.push_back(PRef(d.check));
  out.push_back(PRef(d.headers));
}

// "INSERT ... VALUES (...), ... ON CONFLICT DO NOTHING [RETURNING ...]" for
// `rows` rows (rows::RunShapes).
const std::string& MultiRowInsert(size_t rows, bool returning) {
  auto shapes = [](bool with_returning) {
    return RunShapes([with_returning](size_t n) {
      std::string sql =
          absl::StrCat("INSERT INTO webhook_deliveries (", ToAbsl(kDeliveryCols), ") VALUES ");
      for (size_t i = 0; i < n; ++i) {
        absl::StrAppend(&sql, i == 0 ? "" : ", ", "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
      }
      absl::StrAppend(&sql, " ON CONFLICT DO NOTHING",
                      with_returning ? " RETURNING team_id, delivery_id" : "");
      return sql;
    });
  };
  static const std::vector<std::string> kReturning = shapes(true);
  static const std::vector<std::string> kPlain = shapes(false);
  return returning ? kReturning[rows] : kPlain[rows];
}

// Marks the row of `run` (the batch's rows from `at`) each stored key
// (team_id, delivery_id) belongs to: the first copy in the run of that key
// not marked yet (a second copy within the run met the first one's conflict).
void MarkStored(const std::vector<Row>& keys, std::span<const WebhookDelivery* const> run,
                size_t at, std::vector<bool>& inserted) {
  for (const Row& row : keys) {
    Cells c(row);
    const std::string team = c.Text();
    const std::string id = c.Text();
    for (size_t i = 0; i < run.size(); ++i) {
      if (!inserted[at + i] && run[i]->delivery_id == id && run[i]->team->value() == team) {
        inserted[at + i] = true;
        break;
      }
    }
  }
}

}  // namespace

absl::Status SqlUnitOfWork::InsertDelivery(const WebhookDelivery& d) {
  const WebhookDelivery* one[] = {&d};
  absl::StatusOr<std::vector<bool>> inserted = InsertDeliveries(one);
  if (!inserted.ok()) return inserted.status();
  if (!inserted->front()) return absl::AlreadyExistsError("delivery already exists");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<bool>> SqlUnitOfWork::InsertDeliveries(
    std::span<const WebhookDelivery* const> batch) {
  if (absl::Status s = RefuseInReadOnly(); !s.ok()) return s;
  for (const WebhookDelivery* d : batch) {
    if (absl::Status refused = RefuseUnverified(*d); !refused.ok()) return refused;
  }
  std::vector<bool> inserted(batch.size(), false);
  std::vector<Value> params;
  params.reserve(std::min(batch.size(), rows::kMaxRun) * kDeliveryParams);
  absl::Status status = ForEachRun(batch.size(), [&](size_t at, size_t rows) -> absl::Status {
    const std::span<const WebhookDelivery* const> run = batch.subspan(at, rows);
    params.clear();
    for (const WebhookDelivery* d : run) AppendDeliveryParams(*d, params);
    ASSIGN_OR_RETURN(std::optional<std::vector<Row>> keys, InsertDeliveryRun(rows, params));
    if (!keys.has_value()) {
      std::fill_n(inserted.begin() + at, rows, true);
    } else {
      MarkStored(*keys, run, at, inserted);
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return inserted;
}

absl::StatusOr<std::optional<std::vector<Row>>> SqlUnitOfWork::InsertDeliveryRun(
    size_t rows, std::span<const Value> params) {
  if (!dialect_.consecutive_rowids) {
    ASSIGN_OR_RETURN(std::vector<Row> keys,
                     Query(MultiRowInsert(rows, /*returning=*/true), params));
    return keys;
  }
  ASSIGN_OR_RETURN(int64_t count, Exec(MultiRowInsert(rows, /*returning=*/false), params));
  if (count == static_cast<int64_t>(rows)) return std::nullopt;
  if (count == 0) return std::vector<Row>{};
  // Some rows met a conflict: the `count` stored are the ones numbered up to
  // the last rowid this connection inserted (dialect.h).
  ASSIGN_OR_RETURN(std::vector<Row> keys,
                   Query("SELECT team_id, delivery_id FROM webhook_deliveries "
                         "WHERE rowid > last_insert_rowid() - ? AND rowid <= last_insert_rowid()",
                         {Value(count)}));
  // Only a table whose largest rowid is 2^63 - 1 numbers new rows at random.
  if (static_cast<int64_t>(keys.size()) != count) {
    return absl::InternalError(absl::StrCat("webhook_deliveries: ", count, " rows were stored but ",
                                            keys.size(), " could be read back by rowid"));
  }
  return keys;
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
    // Global: the operator's view across teams; no index orders it (v15),
    // so it reads the whole table.
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

}  // namespace stagecheck::store
