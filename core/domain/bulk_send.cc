#include "core/domain/bulk_send.h"

#include <algorithm>

namespace stagecheck {

std::string_view StepName(BulkEntryStep step) {
  switch (step) {
    case BulkEntryStep::kPending:
      return "pending";
    case BulkEntryStep::kHanded:
      return "handed";
    case BulkEntryStep::kSkipped:
      return "skipped";
    case BulkEntryStep::kFailed:
      return "failed";
  }
  return "pending";
}

std::optional<BulkEntryStep> ParseStep(std::string_view name) {
  for (BulkEntryStep step : {BulkEntryStep::kPending, BulkEntryStep::kHanded,
                             BulkEntryStep::kSkipped, BulkEntryStep::kFailed}) {
    if (StepName(step) == name) return step;
  }
  return std::nullopt;
}

std::string_view StateName(BulkEntryState state) {
  switch (state) {
    case BulkEntryState::kQueued:
      return "queued";
    case BulkEntryState::kSent:
      return "sent";
    case BulkEntryState::kSkipped:
      return "skipped";
    case BulkEntryState::kFailed:
      return "failed";
  }
  return "queued";
}

BulkEntryProgress ProgressOf(const BulkSendEntry& entry) {
  switch (entry.step) {
    case BulkEntryStep::kPending:
      return {BulkEntryState::kQueued, ""};
    case BulkEntryStep::kSkipped:
      return {BulkEntryState::kSkipped, entry.reason};
    case BulkEntryStep::kFailed:
      return {BulkEntryState::kFailed, entry.reason};
    case BulkEntryStep::kHanded:
      break;
  }
  if (entry.check_ordered) return {BulkEntryState::kSent, ""};
  // Handed over, not yet at the vendor: still waiting for its turn, unless
  // it ended first (the vendor refused the order, a person cancelled it).
  if (!entry.check_status || IsActive(*entry.check_status)) return {BulkEntryState::kQueued, ""};
  return {BulkEntryState::kFailed, entry.check_error_reason.empty()
                                       ? std::string(StatusName(*entry.check_status))
                                       : entry.check_error_reason};
}

bool BulkSend::Done() const {
  return std::none_of(entries.begin(), entries.end(), [](const BulkSendEntry& e) {
    return ProgressOf(e).state == BulkEntryState::kQueued;
  });
}

}  // namespace stagecheck
