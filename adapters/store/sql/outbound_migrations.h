// v9 (issue 20, docs/outbound-webhooks.md): outbound webhooks to the host
// ATS, in portable SQL like portable_migrations.h (which is near its size
// limit, so this version lives here). (1) a team's endpoints, their secret
// encrypted with the deployment's cipher like an integration's, the secret
// before the last rotation with the end of its grace period, and why an
// endpoint was disabled; (2) the outbox: one row per event, written in the
// transaction of the change that causes it, numbered per subject (the
// unique index keeps the numbers of one check distinct); (3) one delivery
// per event and endpoint, and (4) the log of its attempts.
#pragma once

#include <string_view>

namespace stagecheck::store::portable {

inline constexpr std::string_view kOutboundWebhooks = R"sql(
CREATE TABLE webhook_endpoints (
  team_id TEXT NOT NULL,
  endpoint_id TEXT NOT NULL,
  url TEXT NOT NULL,
  event_types TEXT NOT NULL,
  description TEXT NOT NULL,
  secret_encrypted {bytes} NOT NULL,
  previous_secret_encrypted {bytes},
  previous_valid_until {int64},
  enabled {int64} NOT NULL,
  disabled_reason TEXT NOT NULL,
  disabled_at {int64},
  failing_since {int64},
  created_at {int64} NOT NULL,
  updated_at {int64} NOT NULL,
  PRIMARY KEY (team_id, endpoint_id)
);
CREATE TABLE outbound_events (
  team_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  subject TEXT NOT NULL,
  sequence {int64} NOT NULL,
  body TEXT NOT NULL,
  created_at {int64} NOT NULL,
  PRIMARY KEY (team_id, event_id)
);
CREATE UNIQUE INDEX outbound_events_by_subject ON outbound_events (team_id, subject, sequence);
CREATE TABLE outbound_deliveries (
  team_id TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  endpoint_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts {int64} NOT NULL,
  next_attempt_at {int64},
  last_error TEXT NOT NULL,
  created_at {int64} NOT NULL,
  updated_at {int64} NOT NULL,
  PRIMARY KEY (team_id, delivery_id)
);
CREATE INDEX outbound_deliveries_by_endpoint
  ON outbound_deliveries (team_id, endpoint_id, created_at, delivery_id);
CREATE TABLE outbound_attempts (
  team_id TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  attempt {int64} NOT NULL,
  at {int64} NOT NULL,
  http_status {int64} NOT NULL,
  latency_ms {int64} NOT NULL,
  error TEXT NOT NULL,
  excerpt TEXT NOT NULL,
  PRIMARY KEY (team_id, delivery_id, attempt)
);
)sql";

}  // namespace stagecheck::store::portable
