// v11 (issue 19, retention and erasure; docs/operations.md, "Retention and
// erasure"), written once for both back-ends like portable_migrations.h:
// (1) each team's retention settings (no row: the defaults, 365 / 30 / 7
// days); (2) when a candidate was erased (an erased candidate keeps its id,
// anonymised, so that the audit trail still hangs together); (3) when a
// check's report data was purged, so the retention job never looks at it
// again; (4) whether a file's content is sealed with the deployment key
// (report data at rest; rows written before read in clear); (5) the two
// reads the retention job makes per team.
#pragma once

#include <string_view>

namespace stagecheck::store::portable {

inline constexpr std::string_view kRetentionAndErasure = R"sql(
CREATE TABLE team_retention (
  team_id TEXT NOT NULL PRIMARY KEY,
  report_days BIGINT NOT NULL,
  delivery_body_days BIGINT NOT NULL,
  unverified_metadata_days BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
ALTER TABLE candidates ADD COLUMN erased_at BIGINT;
ALTER TABLE background_checks ADD COLUMN report_purged_at BIGINT;
ALTER TABLE candidate_files ADD COLUMN encrypted BIGINT NOT NULL DEFAULT 0;
CREATE INDEX background_checks_report_kept ON background_checks (team_id, completed_at)
  WHERE status = 'complete' AND report_purged_at IS NULL;
CREATE INDEX webhook_deliveries_by_team_received ON webhook_deliveries (team_id, received_at);
)sql";

}  // namespace stagecheck::store::portable
