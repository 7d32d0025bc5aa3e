// How each applicant-tracking system shows a Certn check's status (the status
// table in docs/certn-api.md, "Cases": Gem's label, Lever's "CERTN - <Status>"
// tag, Kula's label): views over the core's one vocabulary
// (core/domain/check_status.h).
#pragma once

#include <string_view>

#include "core/domain/check_status.h"

namespace stagecheck {

struct StatusLabels {
  std::string_view gem;
  std::string_view lever_tag;
  std::string_view kula;
};
// `error_reason` picks the Lever tag for a missing email. `overall_score`
// (Certn's, empty until scored) decides Kula's label of a complete check: only
// CLEAR is "Eligible", so a result to review never reads as a pass.
StatusLabels LabelsFor(CheckStatus status, std::string_view error_reason = {},
                       std::string_view overall_score = {});
// Every Lever tag above starts with it; the plugin registers it as a system
// tag prefix (core/domain/candidate.h), so a person's edit never touches them.
inline constexpr std::string_view kLeverTagPrefix = "CERTN - ";

}  // namespace stagecheck
