// v14 (issue 21, item 4): webhook_deliveries keyed once. The table was keyed
// (team_id, delivery_id, received_at) so that a retried unverified delivery,
// stored under team '' before v4, could be kept again; since v4 no
// unverified delivery is stored, and the unique (team_id, delivery_id) index
// already identified every row. Each delivery's insert walked both of those
// random-keyed trees (a delivery id is a UUID: a different leaf page each
// time, written to the WAL again on every commit). Rebuilt, in portable SQL
// like portable_migrations.h, with (team_id, delivery_id) as the key and no
// second unique index; the other indexes are created again as they were.
#pragma once

#include <string_view>

namespace stagecheck::store::portable {

inline constexpr std::string_view kDeliveriesKeyedOnce = R"sql(
CREATE TABLE webhook_deliveries_v14 (
  team_id TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  received_at {int64} NOT NULL,
  scheme TEXT NOT NULL,
  event_type TEXT NOT NULL,
  object_type TEXT NOT NULL,
  object_id TEXT NOT NULL,
  body {bytes} NOT NULL,
  verdict TEXT NOT NULL,
  check_id TEXT,
  headers TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (team_id, delivery_id)
);
INSERT INTO webhook_deliveries_v14 (team_id, delivery_id, received_at, scheme, event_type,
  object_type, object_id, body, verdict, check_id, headers)
  SELECT team_id, delivery_id, received_at, scheme, event_type, object_type, object_id, body,
  verdict, check_id, headers FROM webhook_deliveries WHERE team_id <> '';
DROP TABLE webhook_deliveries;
ALTER TABLE webhook_deliveries_v14 RENAME TO webhook_deliveries;
CREATE INDEX webhook_deliveries_by_received ON webhook_deliveries (received_at);
CREATE INDEX webhook_deliveries_orphans ON webhook_deliveries (team_id, object_id)
  WHERE verdict = 'orphan';
CREATE INDEX webhook_deliveries_by_team_received ON webhook_deliveries (team_id, received_at);
)sql";

// v15 (issue 21): no global time index on webhook_deliveries. Every query of
// the table names its team (retention, the deliveries page, orphans), served
// by (team_id, received_at); the global index was one more tree written by
// every delivery's insert, read only by the store's team-less listing (tests
// and operators' one-off checks, which may scan).
inline constexpr std::string_view kDeliveriesWithoutGlobalTimeIndex =
    "DROP INDEX IF EXISTS webhook_deliveries_by_received;";

}  // namespace stagecheck::store::portable
