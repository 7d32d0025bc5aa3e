#include "adapters/certn/status_map.h"

#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/strings.h"

namespace stagecheck::certn {
namespace {

struct Row {
  std::string_view overall_status;
  CheckStatus status;
  std::string_view error_reason;
};

// Certn's order of precedence (docs/certn-api.md).
constexpr std::array<Row, 15> kTable = {{
    {"DRAFT", CheckStatus::kInvited, ""},
    {"CASE_ORDERED", CheckStatus::kInvited, ""},
    {"INVITE_UNDELIVERABLE", CheckStatus::kError, "invite_undeliverable"},
    {"APPLICANT_EXPIRED", CheckStatus::kError, "applicant_expired"},
    {"APPLICANT_INVITED", CheckStatus::kInvited, ""},
    {"APPLICANT_OPENED", CheckStatus::kInvited, ""},
    {"APPLICANT_STARTED", CheckStatus::kInProgress, ""},
    {"APPLICANT_SUBMITTED", CheckStatus::kInProgress, ""},
    {"IN_DISPUTE", CheckStatus::kInProgress, ""},
    {"IN_PROGRESS", CheckStatus::kInProgress, ""},
    {"APPLICANT_ACTION_REQUIRED", CheckStatus::kInProgress, ""},
    {"CLIENT_ACTION_REQUIRED", CheckStatus::kInProgress, ""},
    {"CANCELLED", CheckStatus::kCancelled, ""},
    {"APPLICANT_DECLINED", CheckStatus::kCancelled, "applicant_declined"},  // docs/certn-api.md
    {"COMPLETE", CheckStatus::kComplete, ""},
}};

bool SomeButNotAllComplete(const std::vector<CertnCheckResult>& checks) {
  int counted = 0;
  int complete = 0;
  for (const auto& check : checks) {
    if (check.status == "SUPERSEDED" || check.status == "CANCELLED") continue;
    ++counted;
    if (check.status == "COMPLETE") ++complete;
  }
  return complete > 0 && complete < counted;
}

}  // namespace

NormalizedStatus NormalizeCaseStatus(std::string_view overall_status,
                                     const std::vector<CertnCheckResult>& checks) {
  NormalizedStatus out{CheckStatus::kInProgress, "", false};
  for (const Row& row : kTable) {
    if (row.overall_status != overall_status) continue;
    out = NormalizedStatus{row.status, std::string(row.error_reason), true};
    break;
  }
  if (out.status == CheckStatus::kInProgress && SomeButNotAllComplete(checks)) {
    out.status = CheckStatus::kPartial;
  }
  return out;
}

const std::vector<std::string_view>& KnownOverallScores() {
  static const auto* const kScores = new std::vector<std::string_view>{
      "CLEAR", "REVIEW", "REJECT", "NOT_APPLICABLE", "RESTRICTED"};
  return *kScores;
}

std::optional<std::string> ParseOverallScore(std::string_view score) {
  for (std::string_view known : KnownOverallScores()) {
    if (known == score) return std::string(score);
  }
  return std::nullopt;
}

const std::vector<std::string_view>& KnownOverallStatuses() {
  static const auto* const kNames = [] {
    auto* names = new std::vector<std::string_view>;
    for (const Row& row : kTable) names->push_back(row.overall_status);
    return names;
  }();
  return *kNames;
}

}  // namespace stagecheck::certn
