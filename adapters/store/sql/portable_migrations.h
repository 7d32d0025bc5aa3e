// Migration SQL that is the same on every back-end, written once and listed
// by each back-end's migrations.cc under the same version number. Forward-
// only like the rest: never edit one that was released.
#pragma once

#include <string_view>

namespace stagecheck::store::portable {

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

// v4: Certn's overall_score on each check (CERTN.md section 5, null until
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
