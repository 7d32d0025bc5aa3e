// The Certn plugin's own rows: each team's integration (credentials, webhook
// secrets, the Certn team it answers for, its rate limits and event-feed
// cursor). The store adapter implements this port on the same object as the
// core's UnitOfWork (adapters/store/sql/unit_of_work.h), so the plugin's
// writes commit or roll back with the core's in one transaction.
//
// Errors follow core/ports/store.h: NotFound, AlreadyExists, Aborted, Unavailable.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/ids.h"
#include "core/ports/store.h"
#include "plugin/certn/domain/integration.h"

namespace stagecheck {

// Which check a Certn case is, and whose.
struct CaseCheck {
  TeamId team;
  CheckId id;
};

class CertnUnitOfWork {
 public:
  virtual ~CertnUnitOfWork() = default;

  virtual absl::Status UpsertIntegration(const CertnIntegration& integration) = 0;
  virtual absl::StatusOr<CertnIntegration> GetIntegration(const TeamId& team) = 0;
  // Global: maps a Certn-Team-ID header to the one team that claimed it.
  virtual absl::StatusOr<TeamId> FindTeamByCertnTeamId(const std::string& certn_team_id) = 0;
  // Global: the check of Certn case `case_id`, without reading the whole
  // check (the webhook's look-up); NotFound when no check has that case.
  virtual absl::StatusOr<CaseCheck> FindCheckByCaseId(const std::string& case_id) = 0;
  // Global: FindCheckByCaseId for several cases in few statements (a bundle
  // of webhook deliveries' orphans: one round trip, not one each). A case no
  // check has is absent from the answer.
  virtual absl::StatusOr<std::map<std::string, CaseCheck>> FindChecksByCaseIds(
      std::span<const std::string> case_ids) = 0;
  // Global: the connected integrations in team order, those after `after`
  // (keyset; all from the first when absent), at most `limit`. The
  // reconciler reads each one's event feed.
  virtual absl::StatusOr<std::vector<CertnIntegration>> ListConnectedIntegrations(
      const std::optional<TeamId>& after, int limit) = 0;
  // Compare-and-set of an integration's events_cursor: sets `cursor` only
  // while the stored one is still `expected` (absent = NULL). Aborted when
  // it is not (another replica advanced it, or new credentials reset it),
  // or when the team has no integration. UpsertIntegration keeps the stored
  // cursor while the key and region are unchanged, so an admin's edit never
  // puts an older cursor back.
  virtual absl::Status AdvanceEventsCursor(const TeamId& team,
                                           const std::optional<std::string>& expected,
                                           const std::string& cursor) = 0;
};

// The Certn rows of the transaction `uow` belongs to. A store whose unit of
// work lacks them is a wiring error, not a runtime condition: the cast throws
// std::bad_cast and ends the process at its first use.
inline CertnUnitOfWork& CertnRows(UnitOfWork& uow) { return dynamic_cast<CertnUnitOfWork&>(uow); }

}  // namespace stagecheck
