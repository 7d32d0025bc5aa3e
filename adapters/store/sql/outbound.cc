// The outbound webhook tables (schema v9, outbound_migrations.h): a team's
// endpoints, the outbox of events, one delivery per event and endpoint, and
// the log of each delivery's attempts.
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "adapters/store/sql/pages.h"
#include "adapters/store/sql/rows.h"
#include "adapters/store/sql/unit_of_work.h"
#include "core/status_macros.h"

namespace stagecheck::store {

using pages::BuildPage;
using pages::FinishPage;
using pages::PageQuery;
using rows::Bytes;
using rows::Cells;
using rows::Corrupt;
using rows::MapRows;
using rows::P;
using rows::Single;

namespace {

constexpr std::string_view kEndpointCols =
    "endpoint_id, url, event_types, description, secret_encrypted, previous_secret_encrypted, "
    "previous_valid_until, enabled, disabled_reason, disabled_at, failing_since, created_at, "
    "updated_at";

std::string EventTypesText(const std::set<OutboundEventType>& types) {
  std::vector<std::string> names;
  for (OutboundEventType t : types) names.emplace_back(EventTypeName(t));
  return absl::StrJoin(names, ",");
}

absl::StatusOr<OutboundEventType> ReadEventType(std::string_view column, const std::string& name) {
  std::optional<OutboundEventType> type = ParseEventType(name);
  if (!type) return Corrupt(column, name);
  return *type;
}

absl::StatusOr<WebhookEndpoint> ReadEndpoint(const TeamId& team, const Row& row) {
  Cells c(row);
  WebhookEndpoint e;
  e.team = team;
  e.id = c.IdOf<WebhookEndpointId>();
  e.url = c.Text();
  for (absl::string_view name : absl::StrSplit(c.Text(), ',', absl::SkipEmpty())) {
    ASSIGN_OR_RETURN(OutboundEventType type,
                     ReadEventType("webhook_endpoints.event_types", std::string(name)));
    e.event_types.insert(type);
  }
  e.description = c.Text();
  e.secret_encrypted = c.Text();
  e.previous_secret_encrypted = c.OptText();
  e.previous_valid_until = c.OptTime();
  e.enabled = c.Int() != 0;
  e.disabled_reason = c.Text();
  e.disabled_at = c.OptTime();
  e.failing_since = c.OptTime();
  e.created_at = c.Time();
  e.updated_at = c.Time();
  return e;
}

constexpr std::string_view kDeliveryCols =
    "delivery_id, endpoint_id, event_id, event_type, state, attempts, next_attempt_at, "
    "last_error, created_at, updated_at";

absl::StatusOr<OutboundDelivery> ReadDelivery(const TeamId& team, const Row& row) {
  Cells c(row);
  OutboundDelivery d;
  d.team = team;
  d.id = c.IdOf<OutboundDeliveryId>();
  d.endpoint = c.IdOf<WebhookEndpointId>();
  d.event = c.IdOf<OutboundEventId>();
  ASSIGN_OR_RETURN(d.event_type, ReadEventType("outbound_deliveries.event_type", c.Text()));
  const std::string state = c.Text();
  std::optional<OutboundDeliveryState> parsed = ParseDeliveryState(state);
  if (!parsed) return Corrupt("outbound_deliveries.state", state);
  d.state = *parsed;
  d.attempts = static_cast<int>(c.Int());
  d.next_attempt_at = c.OptTime();
  d.last_error = c.Text();
  d.created_at = c.Time();
  d.updated_at = c.Time();
  return d;
}

}  // namespace

absl::Status SqlUnitOfWork::InsertEndpoint(const WebhookEndpoint& e) {
  return Insert(absl::StrCat("INSERT INTO webhook_endpoints (team_id, ", ToAbsl(kEndpointCols),
                             ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                {P(e.team), P(e.id), P(e.url), P(EventTypesText(e.event_types)), P(e.description),
                 Bytes(e.secret_encrypted), Bytes(e.previous_secret_encrypted),
                 P(e.previous_valid_until), P(e.enabled ? 1 : 0), P(e.disabled_reason),
                 P(e.disabled_at), P(e.failing_since), P(e.created_at), P(e.updated_at)},
                "webhook endpoint");
}

absl::StatusOr<WebhookEndpoint> SqlUnitOfWork::GetEndpoint(const TeamId& team,
                                                           const WebhookEndpointId& id) {
  ASSIGN_OR_RETURN(Row row, Single(Query(absl::StrCat("SELECT ", ToAbsl(kEndpointCols),
                                                      " FROM webhook_endpoints WHERE team_id = ? "
                                                      "AND endpoint_id = ?"),
                                         {P(team), P(id)}),
                                   "webhook endpoint"));
  return ReadEndpoint(team, row);
}

absl::Status SqlUnitOfWork::UpdateEndpoint(const WebhookEndpoint& e) {
  return UpdateOne(
      "UPDATE webhook_endpoints SET url = ?, event_types = ?, description = ?, "
      "secret_encrypted = ?, previous_secret_encrypted = ?, previous_valid_until = ?, "
      "enabled = ?, disabled_reason = ?, disabled_at = ?, failing_since = ?, updated_at = ? "
      "WHERE team_id = ? AND endpoint_id = ?",
      {P(e.url), P(EventTypesText(e.event_types)), P(e.description), Bytes(e.secret_encrypted),
       Bytes(e.previous_secret_encrypted), P(e.previous_valid_until), P(e.enabled ? 1 : 0),
       P(e.disabled_reason), P(e.disabled_at), P(e.failing_since), P(e.updated_at), P(e.team),
       P(e.id)},
      "webhook endpoint");
}

absl::Status SqlUnitOfWork::DeleteEndpoint(const TeamId& team, const WebhookEndpointId& id) {
  RETURN_IF_ERROR(
      Exec("DELETE FROM outbound_attempts WHERE team_id = ? AND delivery_id IN (SELECT delivery_id "
           "FROM outbound_deliveries WHERE team_id = ? AND endpoint_id = ?)",
           {P(team), P(team), P(id)})
          .status());
  RETURN_IF_ERROR(Exec("DELETE FROM outbound_deliveries WHERE team_id = ? AND endpoint_id = ?",
                       {P(team), P(id)})
                      .status());
  ASSIGN_OR_RETURN(int64_t n, Exec("DELETE FROM webhook_endpoints WHERE team_id = ? AND "
                                   "endpoint_id = ?",
                                   {P(team), P(id)}));
  if (n == 0) return absl::NotFoundError("webhook endpoint not found");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<WebhookEndpoint>> SqlUnitOfWork::ListEndpoints(const TeamId& team) {
  ASSIGN_OR_RETURN(std::vector<Row> rows,
                   Query(absl::StrCat("SELECT ", ToAbsl(kEndpointCols),
                                      " FROM webhook_endpoints WHERE team_id = ? "
                                      "ORDER BY created_at, endpoint_id"),
                         {P(team)}));
  return MapRows<WebhookEndpoint>(rows, [&](const Row& r) { return ReadEndpoint(team, r); });
}

absl::StatusOr<int64_t> SqlUnitOfWork::LastEventSequence(const TeamId& team,
                                                         const std::string& subject) {
  ASSIGN_OR_RETURN(std::vector<Row> rows,
                   Query("SELECT MAX(sequence) FROM outbound_events WHERE team_id = ? AND "
                         "subject = ?",
                         {P(team), P(subject)}));
  if (rows.empty()) return 0;
  return Cells(rows.front()).Int();
}

absl::Status SqlUnitOfWork::InsertOutboundEvent(const OutboundEvent& e) {
  return Insert(
      "INSERT INTO outbound_events (team_id, event_id, event_type, subject, sequence, body, "
      "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      {P(e.team), P(e.id), P(EventTypeName(e.type)), P(e.subject), P(e.sequence), P(e.body),
       P(e.created_at)},
      "outbound event");
}

absl::StatusOr<OutboundEvent> SqlUnitOfWork::GetOutboundEvent(const TeamId& team,
                                                              const OutboundEventId& id) {
  ASSIGN_OR_RETURN(Row row, Single(Query("SELECT event_type, subject, sequence, body, created_at "
                                         "FROM outbound_events WHERE team_id = ? AND event_id = ?",
                                         {P(team), P(id)}),
                                   "outbound event"));
  Cells c(row);
  OutboundEvent e;
  e.team = team;
  e.id = id;
  ASSIGN_OR_RETURN(e.type, ReadEventType("outbound_events.event_type", c.Text()));
  e.subject = c.Text();
  e.sequence = c.Int();
  e.body = c.Text();
  e.created_at = c.Time();
  return e;
}

absl::Status SqlUnitOfWork::InsertOutboundDelivery(const OutboundDelivery& d) {
  return Insert(absl::StrCat("INSERT INTO outbound_deliveries (team_id, ", ToAbsl(kDeliveryCols),
                             ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                {P(d.team), P(d.id), P(d.endpoint), P(d.event), P(EventTypeName(d.event_type)),
                 P(DeliveryStateName(d.state)), P(d.attempts), P(d.next_attempt_at),
                 P(d.last_error), P(d.created_at), P(d.updated_at)},
                "outbound delivery");
}

absl::StatusOr<OutboundDelivery> SqlUnitOfWork::GetOutboundDelivery(const TeamId& team,
                                                                    const OutboundDeliveryId& id) {
  ASSIGN_OR_RETURN(Row row, Single(Query(absl::StrCat("SELECT ", ToAbsl(kDeliveryCols),
                                                      " FROM outbound_deliveries WHERE team_id = "
                                                      "? AND delivery_id = ?"),
                                         {P(team), P(id)}),
                                   "outbound delivery"));
  return ReadDelivery(team, row);
}

absl::Status SqlUnitOfWork::UpdateOutboundDelivery(const OutboundDelivery& d) {
  return UpdateOne(
      "UPDATE outbound_deliveries SET state = ?, attempts = ?, next_attempt_at = ?, "
      "last_error = ?, updated_at = ? WHERE team_id = ? AND delivery_id = ?",
      {P(DeliveryStateName(d.state)), P(d.attempts), P(d.next_attempt_at), P(d.last_error),
       P(d.updated_at), P(d.team), P(d.id)},
      "outbound delivery");
}

absl::Status SqlUnitOfWork::InsertDeliveryAttempt(const TeamId& team, const OutboundDeliveryId& id,
                                                  const DeliveryAttempt& a) {
  return Insert(
      "INSERT INTO outbound_attempts (team_id, delivery_id, attempt, at, http_status, "
      "latency_ms, error, excerpt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      {P(team), P(id), P(a.number), P(a.at), P(a.http_status),
       P(absl::ToInt64Milliseconds(a.latency)), P(a.error), P(a.excerpt)},
      "delivery attempt");
}

absl::StatusOr<Page<OutboundDelivery>> SqlUnitOfWork::ListOutboundDeliveries(
    const TeamId& team, const WebhookEndpointId& endpoint, const PageRequest& page) {
  ASSIGN_OR_RETURN(PageQuery q, BuildPage(absl::StrCat("SELECT ", ToAbsl(kDeliveryCols),
                                                       " FROM outbound_deliveries"),
                                          "team_id = ? AND endpoint_id = ?", {P(team), P(endpoint)},
                                          "created_at", "delivery_id", page));
  ASSIGN_OR_RETURN(std::vector<Row> rows, Query(q.sql, q.params));
  ASSIGN_OR_RETURN(
      std::vector<OutboundDelivery> items,
      MapRows<OutboundDelivery>(rows, [&](const Row& r) { return ReadDelivery(team, r); }));
  for (OutboundDelivery& d : items) {
    ASSIGN_OR_RETURN(std::vector<Row> attempts,
                     Query("SELECT attempt, at, http_status, latency_ms, error, excerpt FROM "
                           "outbound_attempts WHERE team_id = ? AND delivery_id = ? "
                           "ORDER BY attempt",
                           {P(team), P(d.id)}));
    for (const Row& row : attempts) {
      Cells c(row);
      DeliveryAttempt& a = d.attempt_log.emplace_back();
      a.number = static_cast<int>(c.Int());
      a.at = c.Time();
      a.http_status = static_cast<int>(c.Int());
      a.latency = absl::Milliseconds(c.Int());
      a.error = c.Text();
      a.excerpt = c.Text();
    }
  }
  return FinishPage(std::move(items), q.limit, [](const OutboundDelivery& d) {
    return TimeCursor(d.created_at, d.id.value());
  });
}

}  // namespace stagecheck::store
