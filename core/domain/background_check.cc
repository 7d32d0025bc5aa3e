#include "core/domain/background_check.h"

namespace stagecheck {

std::string_view TriggerName(SendTrigger trigger) {
  switch (trigger) {
    case SendTrigger::kManual:
      return "manual";
    case SendTrigger::kAutoSend:
      return "auto_send";
    case SendTrigger::kAdHoc:
      return "ad_hoc";
  }
  return "manual";
}

std::optional<SendTrigger> ParseTrigger(std::string_view name) {
  if (name == "manual") return SendTrigger::kManual;
  if (name == "auto_send") return SendTrigger::kAutoSend;
  if (name == "ad_hoc") return SendTrigger::kAdHoc;
  return std::nullopt;
}

TransitionOutcome BackgroundCheck::Transition(CheckStatus to, absl::Time at, std::string source,
                                              std::string reason) {
  TransitionOutcome outcome = Decide(status, to);
  if (outcome != TransitionOutcome::kApplied) return outcome;
  history.push_back(StatusTransition{status, to, at, std::move(source), reason});
  status = to;
  // error and cancelled carry their reason ("applicant_declined").
  error_reason = to == CheckStatus::kError || to == CheckStatus::kCancelled ? std::move(reason)
                                                                            : std::string();
  updated_at = at;
  if (to == CheckStatus::kComplete) completed_at = at;
  return outcome;
}

}  // namespace stagecheck
