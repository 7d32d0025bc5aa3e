// The normalized background-check status and its forward-only machine.
// One vocabulary inside; the labels each applicant-tracking system shows are
// views of it, kept by the plugin that reports the status.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace stagecheck {

enum class CheckStatus {
  kQueued,      // decided to send; the vendor has not answered the order yet
  kInvited,     // the vendor ordered the case and emailed the candidate
  kInProgress,  // the candidate started
  kPartial,     // some checks complete, others not
  kComplete,
  kError,      // terminal for this order (reason says why)
  kCancelled,  // terminal for this order
};

std::string_view StatusName(CheckStatus status);
std::optional<CheckStatus> ParseStatus(std::string_view name);

// error, cancelled and complete end an order: no later event changes it, and a
// recruiter may send a new check.
bool IsTerminal(CheckStatus status);
// A check that still counts as "the" check of its application.
inline bool IsActive(CheckStatus status) { return !IsTerminal(status); }

enum class TransitionOutcome {
  kApplied,
  kDuplicate,      // same status again: no-op
  kStale,          // a status earlier in the order: a late event, no-op
  kAfterTerminal,  // the order already ended: no-op
};

std::string_view OutcomeName(TransitionOutcome outcome);

// The rule itself: what happens when a check in `from` learns about `to`.
TransitionOutcome Decide(CheckStatus from, CheckStatus to);

}  // namespace stagecheck
