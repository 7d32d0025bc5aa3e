// Durable work queued for every team by a periodic task: the retention purge
// (core/services/retention.h) and the delayed-check job
// (core/services/delay_notices.h). Each team gets one pending item of a kind
// at a time (its dedupe key), claimed with a lease like all work, so however
// many replicas queue it, one of them runs it.
#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "core/services/deps.h"

namespace stagecheck {

// Queues one item of `kind` per team, due now, walking the teams in pages.
absl::Status EnqueueForEveryTeam(const Deps& deps, std::string_view kind);

}  // namespace stagecheck
