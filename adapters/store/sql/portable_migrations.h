// Migration SQL written once for every back-end and listed by each back-end's
// migrations.cc under the same version number. Column types that the
// dialects spell differently are placeholders, `{int64}` and `{bytes}`
// (column_types.h), which each back-end spells at compile time. Forward-only
// like the rest: never edit one that was released (sql_parts_test.cc keeps a
// copy of v1 as each back-end spells it).
#pragma once

#include <string_view>

namespace stagecheck::store::portable {

// v1: the initial schema. Every table's key starts with team_id, so that a
// team-sharded database needs no schema change (docs/architecture.md,
// "Storage").
inline constexpr std::string_view kInitialSchema = R"sql(
CREATE TABLE teams (
  team_id TEXT NOT NULL PRIMARY KEY,
  name TEXT NOT NULL,
  default_package_id TEXT,
  created_at {int64} NOT NULL
);
CREATE TABLE users (
  team_id TEXT NOT NULL REFERENCES teams (team_id),
  user_id TEXT NOT NULL,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  created_at {int64} NOT NULL,
  PRIMARY KEY (team_id, user_id)
);
CREATE TABLE api_tokens (
  team_id TEXT NOT NULL,
  token_hash TEXT NOT NULL,
  user_id TEXT NOT NULL,
  role TEXT NOT NULL,
  created_at {int64} NOT NULL,
  PRIMARY KEY (team_id, token_hash),
  FOREIGN KEY (team_id, user_id) REFERENCES users (team_id, user_id)
);
CREATE UNIQUE INDEX api_tokens_by_hash ON api_tokens (token_hash);
CREATE TABLE integrations (
  team_id TEXT NOT NULL PRIMARY KEY REFERENCES teams (team_id),
  region TEXT NOT NULL,
  api_key_encrypted {bytes} NOT NULL,
  api_key_last4 TEXT NOT NULL,
  webhook_secret_encrypted {bytes} NOT NULL,
  previous_webhook_secret_encrypted {bytes},
  previous_secret_valid_until {int64},
  status TEXT NOT NULL,
  status_reason TEXT NOT NULL,
  certn_team_id TEXT,
  verified_at {int64},
  last_delivery_at {int64},
  updated_at {int64} NOT NULL
);
CREATE UNIQUE INDEX integrations_by_certn_team ON integrations (certn_team_id);
CREATE TABLE jobs (
  team_id TEXT NOT NULL REFERENCES teams (team_id),
  job_id TEXT NOT NULL,
  title TEXT NOT NULL,
  default_package_id TEXT,
  tags TEXT NOT NULL,
  created_at {int64} NOT NULL,
  plan_stages TEXT NOT NULL DEFAULT '[]',
  plan_version {int64} NOT NULL DEFAULT 0,
  PRIMARY KEY (team_id, job_id)
);
CREATE INDEX jobs_by_created ON jobs (team_id, created_at, job_id);
CREATE TABLE candidates (
  team_id TEXT NOT NULL REFERENCES teams (team_id),
  candidate_id TEXT NOT NULL,
  first_name TEXT NOT NULL,
  last_name TEXT NOT NULL,
  email TEXT,
  phone TEXT,
  tags TEXT NOT NULL,
  created_at {int64} NOT NULL,
  updated_at {int64} NOT NULL,
  PRIMARY KEY (team_id, candidate_id)
);
CREATE INDEX candidates_by_created ON candidates (team_id, created_at, candidate_id);
CREATE TABLE candidate_files (
  team_id TEXT NOT NULL,
  file_id TEXT NOT NULL,
  candidate_id TEXT NOT NULL,
  name TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size {int64} NOT NULL,
  sha256_hex TEXT NOT NULL,
  created_at {int64} NOT NULL,
  content {bytes} NOT NULL,
  PRIMARY KEY (team_id, file_id),
  FOREIGN KEY (team_id, candidate_id) REFERENCES candidates (team_id, candidate_id)
);
CREATE INDEX candidate_files_by_candidate ON candidate_files (team_id, candidate_id, created_at);
CREATE TABLE applications (
  team_id TEXT NOT NULL,
  application_id TEXT NOT NULL,
  candidate_id TEXT NOT NULL,
  job_id TEXT NOT NULL,
  stage_id TEXT,
  status TEXT NOT NULL,
  created_at {int64} NOT NULL,
  updated_at {int64} NOT NULL,
  PRIMARY KEY (team_id, application_id),
  FOREIGN KEY (team_id, candidate_id) REFERENCES candidates (team_id, candidate_id),
  FOREIGN KEY (team_id, job_id) REFERENCES jobs (team_id, job_id)
);
CREATE INDEX applications_by_created ON applications (team_id, created_at, application_id);
CREATE INDEX applications_by_candidate ON applications (team_id, candidate_id, created_at);
CREATE INDEX applications_by_job ON applications (team_id, job_id, created_at);
CREATE TABLE background_checks (
  team_id TEXT NOT NULL,
  check_id TEXT NOT NULL,
  candidate_id TEXT NOT NULL,
  application_id TEXT,
  activity_id TEXT,
  package_id TEXT NOT NULL,
  package_name TEXT NOT NULL,
  send_trigger TEXT NOT NULL,
  requested_by TEXT NOT NULL,
  status TEXT NOT NULL,
  error_reason TEXT NOT NULL,
  certn_case_id TEXT,
  certn_short_id TEXT,
  certn_overall_status TEXT NOT NULL,
  results_url TEXT,
  report_file_id TEXT,
  report_saved_as TEXT,
  results TEXT NOT NULL,
  history TEXT NOT NULL,
  created_at {int64} NOT NULL,
  ordered_at {int64},
  completed_at {int64},
  updated_at {int64} NOT NULL,
  PRIMARY KEY (team_id, check_id),
  FOREIGN KEY (team_id, candidate_id) REFERENCES candidates (team_id, candidate_id),
  FOREIGN KEY (team_id, application_id) REFERENCES applications (team_id, application_id)
);
CREATE UNIQUE INDEX background_checks_by_case ON background_checks (certn_case_id);
CREATE UNIQUE INDEX background_checks_one_active ON background_checks (team_id, application_id)
  WHERE application_id IS NOT NULL AND status NOT IN ('complete', 'error', 'cancelled');
CREATE INDEX background_checks_by_candidate ON background_checks (team_id, candidate_id, created_at);
CREATE INDEX background_checks_quiet ON background_checks (updated_at)
  WHERE certn_case_id IS NOT NULL AND status NOT IN ('complete', 'error', 'cancelled');
CREATE TABLE feed_events (
  team_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  candidate_id TEXT NOT NULL,
  application_id TEXT,
  check_id TEXT,
  at {int64} NOT NULL,
  type TEXT NOT NULL,
  actor TEXT NOT NULL,
  message TEXT NOT NULL,
  PRIMARY KEY (team_id, event_id),
  FOREIGN KEY (team_id, candidate_id) REFERENCES candidates (team_id, candidate_id)
);
CREATE INDEX feed_events_by_candidate ON feed_events (team_id, candidate_id, at, event_id);
CREATE TABLE idempotency_keys (
  team_id TEXT NOT NULL,
  idem_key TEXT NOT NULL,
  request_fingerprint TEXT NOT NULL,
  status_code {int64} NOT NULL,
  response_body {bytes} NOT NULL,
  created_at {int64} NOT NULL,
  PRIMARY KEY (team_id, idem_key)
);
-- team_id '' holds deliveries no team could be matched to (never applied);
-- a retried unverified delivery is kept again, so received_at joins the key.
CREATE TABLE webhook_deliveries (
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
  PRIMARY KEY (team_id, delivery_id, received_at)
);
CREATE UNIQUE INDEX webhook_deliveries_once ON webhook_deliveries (team_id, delivery_id)
  WHERE team_id <> '';
CREATE INDEX webhook_deliveries_by_received ON webhook_deliveries (received_at);
CREATE INDEX webhook_deliveries_orphans ON webhook_deliveries (team_id, object_id)
  WHERE verdict = 'orphan';
CREATE TABLE work_items (
  team_id TEXT NOT NULL,
  work_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  payload {bytes} NOT NULL,
  dedupe_key TEXT,
  run_at {int64} NOT NULL,
  attempts {int64} NOT NULL,
  last_error TEXT NOT NULL,
  state TEXT NOT NULL,
  lease_owner TEXT,
  lease_until {int64},
  PRIMARY KEY (team_id, work_id)
);
CREATE UNIQUE INDEX work_items_pending_dedupe ON work_items (team_id, dedupe_key)
  WHERE state = 'pending' AND dedupe_key IS NOT NULL;
CREATE INDEX work_items_due ON work_items (run_at) WHERE state = 'pending';
CREATE INDEX work_items_by_state ON work_items (state);
)sql";

// v2: the application tab reads every check of one application; without
// this index that read scanned all of the team's checks (docs/performance.md).
inline constexpr std::string_view kIndexChecksByApplication = R"sql(
CREATE INDEX background_checks_by_application ON background_checks (team_id, application_id, created_at);
)sql";

// v3: the headers that matter (Certn-Team-ID, the signature) are kept with
// each delivery for audit and re-verification; older rows have none.
inline constexpr std::string_view kDeliveryHeaders = R"sql(
ALTER TABLE webhook_deliveries ADD COLUMN headers TEXT NOT NULL DEFAULT '';
)sql";

// v4: Certn's overall_score on each check (docs/certn-api.md, null until
// scored); each integration's Certn rate limit (60 a minute, 7,220 a day by
// default); and deliveries that could not be verified are no longer kept
// (docs/architecture.md, "Webhook"): the bodies stored before are removed.
inline constexpr std::string_view kOverallScoreAndNoUnverified = R"sql(
ALTER TABLE background_checks ADD COLUMN certn_overall_score TEXT;
ALTER TABLE integrations ADD COLUMN requests_per_minute INTEGER NOT NULL DEFAULT 60;
ALTER TABLE integrations ADD COLUMN requests_per_day INTEGER NOT NULL DEFAULT 7220;
DELETE FROM webhook_deliveries WHERE verdict = 'unverified';
)sql";

// v5: (1) the outbound-call budget one vendor account shares across every
// replica (docs/architecture.md, "Rate limits"): one row per call granted in
// the last day, read under a per-account lock; (2) why a queued check waits
// and until when (a vendor's daily budget is spent), shown to the recruiter;
// (3) each integration's cursor in its vendor's event feed, so reconciliation
// reads what changed instead of fetching every quiet case.
inline constexpr std::string_view kCallBudgetWaitingAndEventCursor = R"sql(
CREATE TABLE call_grants (
  account BIGINT NOT NULL,
  granted_at BIGINT NOT NULL
);
CREATE INDEX call_grants_by_account ON call_grants (account, granted_at);
ALTER TABLE background_checks ADD COLUMN waiting_reason TEXT;
ALTER TABLE background_checks ADD COLUMN waiting_until BIGINT;
ALTER TABLE integrations ADD COLUMN events_cursor TEXT;
)sql";

// v6: the pipeline overview (GET /api/v1/applications, docs/openapi.yaml)
// filters, searches and sorts a team's applications by their candidate and
// their latest check. Those are kept on the application row (the unit of work
// refreshes them with every write of a candidate, application or check), so a
// filtered page is one index range of one table at any store size
// (docs/performance.md): candidate_sort is lower("first last email"),
// check_rank orders checks for the status sort (error 7, complete 6,
// partial 5, in_progress 4, invited 3, queued 2, cancelled 1, none 0), and
// last_activity_at is the later of the application's and its latest check's
// last change. BIGINT reads as INTEGER on SQLite.
inline constexpr std::string_view kPipelineOverview = R"sql(
ALTER TABLE applications ADD COLUMN candidate_sort TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN latest_check_id TEXT;
ALTER TABLE applications ADD COLUMN check_status TEXT NOT NULL DEFAULT 'none';
ALTER TABLE applications ADD COLUMN check_rank BIGINT NOT NULL DEFAULT 0;
ALTER TABLE applications ADD COLUMN check_score TEXT;
ALTER TABLE applications ADD COLUMN last_activity_at BIGINT NOT NULL DEFAULT 0;
UPDATE applications SET
  candidate_sort = (SELECT lower(c.first_name || ' ' || c.last_name || ' ' || coalesce(c.email, ''))
                    FROM candidates c
                    WHERE c.team_id = applications.team_id AND c.candidate_id = applications.candidate_id),
  latest_check_id = (SELECT k.check_id FROM background_checks k
                     WHERE k.team_id = applications.team_id AND k.application_id = applications.application_id
                     ORDER BY k.created_at DESC, k.check_id DESC LIMIT 1),
  last_activity_at = updated_at;
UPDATE applications SET
  check_status = (SELECT k.status FROM background_checks k
                  WHERE k.team_id = applications.team_id AND k.check_id = applications.latest_check_id),
  check_score = (SELECT k.certn_overall_score FROM background_checks k
                 WHERE k.team_id = applications.team_id AND k.check_id = applications.latest_check_id),
  last_activity_at = (SELECT CASE WHEN k.updated_at > applications.updated_at THEN k.updated_at
                                  ELSE applications.updated_at END
                      FROM background_checks k
                      WHERE k.team_id = applications.team_id AND k.check_id = applications.latest_check_id)
WHERE latest_check_id IS NOT NULL;
UPDATE applications SET check_rank = CASE check_status
  WHEN 'error' THEN 7 WHEN 'complete' THEN 6 WHEN 'partial' THEN 5 WHEN 'in_progress' THEN 4
  WHEN 'invited' THEN 3 WHEN 'queued' THEN 2 WHEN 'cancelled' THEN 1 ELSE 0 END;
CREATE INDEX applications_by_activity ON applications (team_id, last_activity_at, application_id);
CREATE INDEX applications_by_name ON applications (team_id, candidate_sort, application_id);
CREATE INDEX applications_by_check_rank ON applications (team_id, check_rank, last_activity_at, application_id);
CREATE INDEX applications_by_check_status ON applications (team_id, check_status, last_activity_at, application_id);
CREATE INDEX applications_by_check_score ON applications (team_id, check_score, last_activity_at, application_id);
CREATE INDEX applications_by_job_activity ON applications (team_id, job_id, last_activity_at, application_id);
)sql";

// v7: cancelling and re-ordering a check (docs/architecture.md, "Cancel and
// re-order"): who asked to cancel it, when and why; and the ended check a new
// one re-orders.
inline constexpr std::string_view kCancelAndReorder = R"sql(
ALTER TABLE background_checks ADD COLUMN cancel_requested_at BIGINT;
ALTER TABLE background_checks ADD COLUMN cancel_requested_by TEXT;
ALTER TABLE background_checks ADD COLUMN cancel_reason TEXT;
ALTER TABLE background_checks ADD COLUMN reordered_from TEXT;
)sql";

// v8: the check's whole life, continued (docs/architecture.md, "Bulk send,
// expected completion and result rules"): (1) a bulk send and one row per
// selected application, with how its send went (queued, sent, skipped or
// failed, and why); (2) the vendor's own estimate of a check's completion,
// when its case carries one; (3) what a result rule did with a check, once
// per check (the primary key is what makes a rule never run twice); (4) the
// turnaround report's and the projection's read: a team's completed checks
// of one package, by completion time.
inline constexpr std::string_view kBulkSendEstimatesAndResultRules = R"sql(
CREATE TABLE bulk_sends (
  team_id TEXT NOT NULL,
  bulk_send_id TEXT NOT NULL,
  requested_by TEXT NOT NULL,
  package_id TEXT,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (team_id, bulk_send_id)
);
CREATE TABLE bulk_send_entries (
  team_id TEXT NOT NULL,
  bulk_send_id TEXT NOT NULL,
  position BIGINT NOT NULL,
  application_id TEXT NOT NULL,
  state TEXT NOT NULL,
  reason TEXT NOT NULL,
  check_id TEXT,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (team_id, bulk_send_id, position)
);
CREATE TABLE check_estimates (
  team_id TEXT NOT NULL,
  check_id TEXT NOT NULL,
  estimated_completion_at BIGINT NOT NULL,
  PRIMARY KEY (team_id, check_id)
);
CREATE TABLE result_rule_runs (
  team_id TEXT NOT NULL,
  check_id TEXT NOT NULL,
  activity_id TEXT NOT NULL,
  action TEXT NOT NULL,
  stage_id TEXT,
  detail TEXT NOT NULL,
  at BIGINT NOT NULL,
  PRIMARY KEY (team_id, check_id)
);
CREATE INDEX background_checks_completed ON background_checks (team_id, completed_at, package_id);
)sql";

}  // namespace stagecheck::store::portable
