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

// v7: cancelling and re-ordering a check (docs/architecture.md, "Cancel and
// re-order"): who asked to cancel it, when and why; and the ended check a new
// one re-orders.
inline constexpr std::string_view kCancelAndReorder = R"sql(
ALTER TABLE background_checks ADD COLUMN cancel_requested_at BIGINT;
ALTER TABLE background_checks ADD COLUMN cancel_requested_by TEXT;
ALTER TABLE background_checks ADD COLUMN cancel_reason TEXT;
ALTER TABLE background_checks ADD COLUMN reordered_from TEXT;
)sql";

}  // namespace stagecheck::store::portable
