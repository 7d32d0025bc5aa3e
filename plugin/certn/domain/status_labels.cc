#include "plugin/certn/domain/status_labels.h"

#include <array>

namespace stagecheck {
namespace {

struct LabelRow {
  CheckStatus status;
  StatusLabels labels;
};

constexpr std::array<LabelRow, 7> kLabelTable = {{
    {CheckStatus::kQueued, {"Sending", "CERTN - Pending", "Invitation pending"}},
    {CheckStatus::kInvited, {"Pending", "CERTN - Pending", "Invitation completed"}},
    {CheckStatus::kInProgress, {"In progress", "CERTN - Analyzing", "Candidate started"}},
    {CheckStatus::kPartial, {"Partial", "CERTN - Partial", "Candidate started"}},
    {CheckStatus::kComplete, {"Complete", "CERTN - Complete", "Eligible"}},
    {CheckStatus::kError, {"Error", "CERTN - Error", "Error"}},
    {CheckStatus::kCancelled, {"Cancelled", "CERTN - Cancelled", "Cancelled"}},
}};

StatusLabels TableLabels(CheckStatus status) {
  for (const LabelRow& row : kLabelTable) {
    if (row.status == status) return row.labels;
  }
  return kLabelTable[0].labels;
}

}  // namespace

StatusLabels LabelsFor(CheckStatus status, std::string_view error_reason,
                       std::string_view overall_score) {
  StatusLabels labels = TableLabels(status);
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
