#include "core/domain/check_status.h"

#include <array>

namespace stagecheck {
namespace {

struct StatusRow {
  CheckStatus status;
  std::string_view name;
  int rank;  // forward order; terminal statuses rank by their own rule
  StatusLabels labels;
};

// The one mapping table for names and views.
constexpr std::array<StatusRow, 7> kStatusTable = {{
    {CheckStatus::kQueued, "queued", 0, {"Sending", "CERTN - Pending", "Invitation pending"}},
    {CheckStatus::kInvited, "invited", 1, {"Pending", "CERTN - Pending", "Invitation completed"}},
    {CheckStatus::kInProgress,
     "in_progress",
     2,
     {"In progress", "CERTN - Analyzing", "Candidate started"}},
    {CheckStatus::kPartial, "partial", 3, {"Partial", "CERTN - Partial", "Candidate started"}},
    {CheckStatus::kComplete, "complete", 4, {"Complete", "CERTN - Complete", "Eligible"}},
    {CheckStatus::kError, "error", 5, {"Error", "CERTN - Error", "Error"}},
    {CheckStatus::kCancelled, "cancelled", 5, {"Cancelled", "CERTN - Cancelled", "Cancelled"}},
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

StatusLabels LabelsFor(CheckStatus status, std::string_view error_reason,
                       std::string_view overall_score) {
  StatusLabels labels = Row(status).labels;
  if (status == CheckStatus::kComplete && overall_score != "CLEAR") {
    labels.kula = overall_score == "REJECT"                                    ? "Not eligible"
                  : overall_score == "REVIEW" || overall_score == "RESTRICTED" ? "Needs review"
                                                                               : "Completed";
  }
  if (status == CheckStatus::kError && error_reason == "no_email") {
    labels.lever_tag = "CERTN - Error (No Email)";
    labels.gem = "Error (No Email)";
  }
  return labels;
}

}  // namespace stagecheck
