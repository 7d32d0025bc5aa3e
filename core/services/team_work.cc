#include "core/services/team_work.h"

#include <optional>
#include <string>
#include <vector>

#include "core/ports/retention_store.h"
#include "core/status_macros.h"

namespace stagecheck {
namespace {

constexpr int kTeamsPerPage = 200;

}  // namespace

absl::Status EnqueueForEveryTeam(const Deps& deps, std::string_view kind) {
  std::optional<TeamId> after;
  while (true) {
    ASSIGN_OR_RETURN(std::vector<TeamId> teams,
                     InReadTransaction<std::vector<TeamId>>(deps.store, [&](UnitOfWork& uow) {
                       return RetentionRows(uow).ListTeamIds(after, kTeamsPerPage);
                     }));
    if (teams.empty()) return absl::OkStatus();
    const absl::Time now = deps.clock.Now();
    RETURN_IF_ERROR(deps.store.Transact([&](UnitOfWork& uow) -> absl::Status {
      for (const TeamId& team : teams) {
        WorkItem item;
        item.team = team;
        item.id = WorkItemId(deps.ids.NewId());
        item.kind = std::string(kind);
        item.subject = team.value();
        item.dedupe_key = std::string(kind);  // one pending per team
        item.run_at = now;
        RETURN_IF_ERROR(uow.EnqueueWork(item));
      }
      return absl::OkStatus();
    }));
    if (teams.size() < static_cast<size_t>(kTeamsPerPage)) return absl::OkStatus();
    after = teams.back();
  }
}

}  // namespace stagecheck
