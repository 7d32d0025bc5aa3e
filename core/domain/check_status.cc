#include "core/domain/check_status.h"

#include <array>

namespace stagecheck {
namespace {

struct StatusRow {
  CheckStatus status;
  std::string_view name;
  int rank;  // forward order; terminal statuses rank by their own rule
};

// The one mapping table for names and order.
constexpr std::array<StatusRow, 7> kStatusTable = {{
    {CheckStatus::kQueued, "queued", 0},
    {CheckStatus::kInvited, "invited", 1},
    {CheckStatus::kInProgress, "in_progress", 2},
    {CheckStatus::kPartial, "partial", 3},
    {CheckStatus::kComplete, "complete", 4},
    {CheckStatus::kError, "error", 5},
    {CheckStatus::kCancelled, "cancelled", 5},
}};

const StatusRow& Row(CheckStatus status) {
  for (const StatusRow& row : kStatusTable) {
    if (row.status == status) return row;
  }
  return kStatusTable[0];
}

}  // namespace

std::string_view StatusName(CheckStatus status) { return Row(status).name; }

std::optional<CheckStatus> ParseStatus(std::string_view name) {
  for (const StatusRow& row : kStatusTable) {
    if (row.name == name) return row.status;
  }
  return std::nullopt;
}

bool IsTerminal(CheckStatus status) {
  return status == CheckStatus::kComplete || status == CheckStatus::kError ||
         status == CheckStatus::kCancelled;
}

std::string_view OutcomeName(TransitionOutcome outcome) {
  switch (outcome) {
    case TransitionOutcome::kApplied:
      return "applied";
    case TransitionOutcome::kDuplicate:
      return "duplicate";
    case TransitionOutcome::kStale:
      return "stale";
    case TransitionOutcome::kAfterTerminal:
      return "after_terminal";
  }
  return "applied";
}

TransitionOutcome Decide(CheckStatus from, CheckStatus to) {
  if (from == to) return TransitionOutcome::kDuplicate;
  if (IsTerminal(from)) return TransitionOutcome::kAfterTerminal;
  // error and cancelled end any open order.
  if (to == CheckStatus::kError || to == CheckStatus::kCancelled)
    return TransitionOutcome::kApplied;
  if (Row(to).rank < Row(from).rank) return TransitionOutcome::kStale;
  return TransitionOutcome::kApplied;
}

}  // namespace stagecheck
